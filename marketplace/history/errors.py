from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class HistoryErrorCode(ErrorCode):
    EVENT_INVALID = (
        "history_event_invalid",
        400,
        _("Send at most 50 events: views, or search clicks with the result's position."),
    )


class HistoryError(DomainError):
    pass
