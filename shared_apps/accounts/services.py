from shared_apps.accounts.models import User
from shared_apps.accounts.phones import phone_normalize


def user_get_or_create_by_phone(*, phone: str, name: str = "") -> User:
    """The same phone always maps to the same user; unknown phones become new customers. Safe under concurrency."""
    normalized = phone_normalize(phone)
    user, created = User.objects.get_or_create(phone=normalized, defaults={"name": name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
