"""/account/settings/: the customer's settings page. Its "Your activity" section turns the recording of what they
view, search for, add and buy on or off, and clears what was recorded. A signed-in customer's choices are their
account's; a visitor's are their session's guest's (made on their first change, as by a first add to cart), and
follow them into the account they sign in to."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.cart.shoppers import shopper_of_page
from shared_apps.behaviour.selectors import shopper_history, shopper_recording
from shared_apps.behaviour.services import shopper_history_clear, shopper_recording_set


@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    """The settings: whether recording is on, and how much is remembered."""
    shopper = shopper_of_page(request)
    key = shopper.key if shopper else ""
    context = {
        "recording": shopper_recording(shopper=key) if key else True,
        "remembered": shopper_history(shopper=key).count() if key else 0,
        "signed_in": request.user.is_authenticated,
    }
    return render(request, "history/settings.html", context)


@require_POST
def recording_set(request: HttpRequest) -> HttpResponse:
    """POST recording=on to record, nothing to stop (an unticked switch sends nothing)."""
    recording = request.POST.get("recording") == "on"
    shopper_recording_set(shopper=shopper_of_page(request, create=True).key, recording=recording)
    if recording:
        messages.success(request, _("Recording is on: what you view and buy helps us suggest products."))
    else:
        messages.success(request, _("Recording is off: nothing you do is recorded from now on."))
    return redirect("history:settings")


@require_POST
def history_clear(request: HttpRequest) -> HttpResponse:
    """Delete everything recorded of the visitor."""
    shopper = shopper_of_page(request)
    if shopper is not None:
        shopper_history_clear(shopper=shopper.key)
    messages.success(request, _("Your history is cleared: nothing you did before now is remembered."))
    return redirect("history:settings")
