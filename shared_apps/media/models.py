"""Media assets stored at Cloudinary, one row per public_id. Public schema: `tenant_schema` says which merchant owns it
(its public_id lies under `merchants/<tenant_schema>/`)."""

from django.db import models


class MediaResourceType(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


class MediaAssetStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETING = "deleting", "Deleting"  # destroy queued (shared_apps.media.tasks); no longer shown
    DELETED = "deleted", "Deleted"  # gone at Cloudinary


class MediaAsset(models.Model):
    """What Cloudinary reported about one uploaded asset. Written only by shared_apps.media.services."""

    public_id = models.CharField(max_length=255, unique=True)
    resource_type = models.CharField(max_length=8, choices=MediaResourceType.choices)
    format = models.CharField(max_length=16, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds, videos only
    version = models.PositiveBigIntegerField()  # Cloudinary's version (upload time); later uploads have higher ones
    secure_url = models.URLField(max_length=500)
    tenant_schema = models.CharField(max_length=63, db_index=True)
    status = models.CharField(max_length=8, choices=MediaAssetStatus.choices, default=MediaAssetStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleting_since = models.DateTimeField(null=True, blank=True)  # the beat sweep resends stale deletions

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="media_asset_status_created")]

    def __str__(self) -> str:
        return self.public_id
