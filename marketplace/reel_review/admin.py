from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from kernel.errors import DomainError
from marketplace.reel_review import selectors, services
from marketplace.reel_review.models import ReelReview
from shared_apps.platform.admin_actions import reject_with_reason
from tenant_apps.reels.checks import CHECK_LABELS


class ReelRejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            'Say what to change, in plain words, e.g. "Show the product in the video." It is shown in the '
            "merchant's console next to the reel."
        ),
    )


@admin.register(ReelReview)
class ReelReviewAdmin(ModelAdmin):
    """The operators' reel queue (like the merchants' approval queue): reels of untrusted merchants that passed
    the automatic checks. Approve shows them in the feed at once (or at their scheduled time); reject sends them
    back with a reason."""

    list_display = ["poster", "merchant", "caption", "duration", "checks", "submitted_at"]
    list_display_links = None
    list_filter = ["status"]
    search_fields = ["merchant__name", "caption"]
    actions = ["approve", "reject"]
    ordering = ["submitted_at", "pk"]

    def get_queryset(self, request):
        if request.GET.get("status__exact"):
            return ReelReview.objects.select_related("merchant")
        return selectors.reels_awaiting_review()

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)  # the list and its actions, no edit form

    @admin.display(description=gettext_lazy("Reel"))
    def poster(self, obj: ReelReview) -> str:
        return format_html('<img src="{}" alt="" style="height:96px;border-radius:6px">', obj.poster_url)

    @admin.display(description=gettext_lazy("Length"))
    def duration(self, obj: ReelReview) -> str:
        return _("%(s)d s") % {"s": round(obj.duration_s)}

    @admin.display(description=gettext_lazy("Automatic checks"))
    def checks(self, obj: ReelReview) -> str:
        return " ".join(str(CHECK_LABELS.get(c, c)) for c in obj.check_failures) or _("Passed")

    @admin.action(description=gettext_lazy("Approve: show the selected reels"))
    def approve(self, request, queryset):
        done = 0
        for review in queryset:
            try:
                review = services.reel_review_decide(review=review, approve=True, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{review}: {exc.message}", messages.ERROR)
                continue
            if review.status == "approved":
                done += 1
            else:
                self.message_user(request, f"{review.merchant}: {review.reason}", messages.WARNING)
        if done:
            self.message_user(request, _("%(n)d reel(s) approved.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Reject: send back with a reason…"))
    def reject(self, request, queryset):
        return reject_with_reason(
            self,
            request,
            queryset,
            form_class=ReelRejectForm,
            reject=lambda review, reason: services.reel_review_decide(
                review=review, approve=False, by=request.user, reason=reason
            ),
            done_message=lambda n: _("%(n)d reel(s) sent back with your reason.") % {"n": n},
            template="admin/reel_review/reject.html",
            title=_("Reject: tell the merchant why"),
            rows_name="reviews",
        )
