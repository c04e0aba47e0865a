"""The merchant side's fixtures (a shop with an owner, the Cloudinary sandbox), for the feed's end-to-end test."""

from tenant_apps.reels.tests.conftest import cloudinary_sandbox, reel_shop  # noqa: F401  (fixtures)
