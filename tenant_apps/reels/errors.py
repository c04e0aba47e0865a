"""Reel error codes (kernel/errors.py: one enum, one DomainError subclass)."""

from kernel.errors import DomainError, ErrorCode


class ReelErrorCode(ErrorCode):
    NOT_A_VIDEO = ("reel_not_a_video", 400, "A reel is a video: upload an MP4, MOV or WebM file.")
    PRODUCTS_INVALID = ("reel_products_invalid", 400, "Tag one to five active products of this store.")
    BRANCHES_INVALID = ("reel_branches_invalid", 400, "Choose at least one of this store's branches you manage.")
    STORE_INVALID = ("reel_store_invalid", 400, "Choose one of your stores.")
    CAPTION_TOO_LONG = ("reel_caption_too_long", 400, "Keep the caption to 500 characters.")
    PUBLISH_AT_INVALID = ("reel_publish_at_invalid", 400, "Schedule within the next 60 days.")
    ALREADY_USED = ("reel_upload_used", 409, "This upload already is a reel.")
    NOT_REVIEWABLE = ("reel_not_reviewable", 409, "This reel is not waiting for review.")
    REASON_REQUIRED = ("reel_reason_required", 400, "Tell the merchant why the reel is rejected.")


class ReelError(DomainError):
    pass
