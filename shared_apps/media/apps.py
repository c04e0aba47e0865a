"""The media app. Its SDK configuration comes from the CLOUDINARY_URL environment variable alone (config/settings.py
supplies the sandbox default), which the `cloudinary` SDK reads itself."""

import cloudinary
from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "shared_apps.media"
    label = "media"
    verbose_name = "Media"

    def ready(self) -> None:
        # The SDK reads the environment once, when first imported; reading it again here makes the configuration
        # the one settings left in os.environ (default included), whatever imported `cloudinary` first.
        cloudinary.reset_config()
