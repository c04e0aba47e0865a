"""{% onboarding_state as onboarding %}: the dashboard's onboarding checklist reads it where it is included, so the
dashboard view (and whoever edits its figures) needs no part in it."""

from django import template

from tenant_apps.stores.onboarding import OnboardingState
from tenant_apps.stores.onboarding import onboarding_state as state_of

register = template.Library()


@register.simple_tag(takes_context=True)
def onboarding_state(context: template.Context) -> OnboardingState | None:
    request = context.get("request")
    merchant = getattr(request, "tenant", None)
    if merchant is None or merchant.is_public:
        return None
    return state_of(merchant=merchant)
