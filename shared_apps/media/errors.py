"""Media error codes (kernel/errors.py: one enum, one DomainError subclass)."""

from kernel.errors import DomainError, ErrorCode


class MediaErrorCode(ErrorCode):
    SIGNATURE_INVALID = ("signature_invalid", 401, "The signature is not valid.")
    OUTSIDE_FOLDER = ("outside_folder", 403, "That media does not belong to this merchant's folder.")
    UNSUPPORTED_TYPE = (
        "unsupported_type",
        400,
        "This file type is not supported. Use JPG, PNG, WebP, GIF, AVIF or HEIC images, or MP4, MOV or WebM videos.",
    )
    FILE_TOO_LARGE = ("file_too_large", 400, "The file is too large: images up to 10 MB, videos up to 100 MB.")
    FILE_EMPTY = ("file_empty", 400, "The file is empty.")
    UPLOAD_INVALID = ("upload_invalid", 400, "The upload response is incomplete or malformed.")
    VARIANT_INVALID = ("variant_invalid", 400, "That variant does not exist for this kind of media.")
    NOTIFICATION_INVALID = ("notification_invalid", 400, "The notification could not be read.")
    UPLOAD_REJECTED = ("upload_rejected", 400, "The media service refused this file.")
    PROVIDER_REJECTED = ("provider_rejected", 502, "The media service refused the request.")
    PROVIDER_UNAVAILABLE = ("provider_unavailable", 503, "The media service is unavailable. Try again shortly.")


class MediaError(DomainError):
    def __reduce__(self):  # picklable, so Celery reports a task's last failure as itself
        return (self.__class__, (self.code, self.message), {"field": self.field, "retry_after": self.retry_after})
