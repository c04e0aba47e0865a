"""Identities (public schema): one user per phone number, across every merchant."""

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django_otp.models import CooldownMixin, Device

from shared_apps.accounts.phones import phone_normalize


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(phone=phone_normalize(phone), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()  # customers and staff sign in with one-time codes
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(max_length=20, unique=True, help_text="E.164, e.g. +923001234567")
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform admin: may open the admin panel (with TOTP).")
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Where the customer shops from (the marketplace's location picker); follows them across devices once signed in.
    location_lat = models.FloatField(null=True, blank=True)
    location_lng = models.FloatField(null=True, blank=True)
    location_label = models.CharField(max_length=80, blank=True)

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["phone"]

    def __str__(self) -> str:
        return self.name or self.phone


class PhoneOTPDevice(CooldownMixin, Device):
    """One-time sign-in codes by SMS for one user (django-otp device). The code is never stored: only its keyed hash.

    A code is valid OTP_CODE_TTL_SECONDS, used once, and dies after OTP_MAX_ATTEMPTS wrong tries; a new code
    needs the resend cool-down to have passed (CooldownMixin).
    """

    token_hash = models.CharField(max_length=64, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    def get_cooldown_duration(self) -> int:
        return settings.OTP_RESEND_COOLDOWN_SECONDS


class Guest(models.Model):
    """A visitor who has not signed in: owns a cart and orders until an OTP sign-in claims them into a user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_guests"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"guest {self.id}"


class RefreshToken(models.Model):
    """Server-side record of every refresh token (by jti) so rotation, logout and reuse detection are exact."""

    jti = models.CharField(max_length=64, primary_key=True)
    family = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)  # rotated: presenting it again is reuse
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="refresh_user_live")]

    def __str__(self) -> str:
        return self.jti


class Address(models.Model):
    """A place a signed-in customer has things delivered to: several per user, one of them the default. The map pin
    (latitude/longitude) is what delivery radius and travel time are measured from; the text is for the rider.
    A guest's address is never stored here: it lives on the order's snapshot until they sign in and save it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=40, help_text="Home, Work or the customer's own name for the place.")
    street = models.CharField(max_length=255, help_text="House, street.")
    area = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, default="Lahore")
    notes = models.CharField(max_length=255, blank=True, help_text="For the rider: gate, floor, landmark.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "id"]
        indexes = [models.Index(fields=["user", "id"], name="address_user")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="address_one_default_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="address_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.one_line}"

    @property
    def one_line(self) -> str:
        """The address as a rider reads it on one line."""
        return ", ".join(part for part in (self.street, self.area, self.city) if part)
