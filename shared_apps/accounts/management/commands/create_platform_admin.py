import base64

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernel.errors import DomainError
from shared_apps.accounts.services import user_get_or_create_by_phone


class Command(BaseCommand):
    help = "Make a phone's user a platform Admin and give it a TOTP authenticator (printed once as an otpauth:// URL)."

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--totp-key", default=None, help="40 hex chars; random when omitted (demo data only).")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                user = user_get_or_create_by_phone(phone=options["phone"], name=options["name"])
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                created = device is None
                if created:
                    device = TOTPDevice(user=user, name="authenticator", confirmed=True)
                    if options["totp_key"]:
                        device.key = options["totp_key"]
                    device.save()
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(f"{user.phone} is a platform admin."))
        if created:
            secret = base64.b32encode(bytes.fromhex(device.key)).decode()
            self.stdout.write(f"Add this to an authenticator app (shown once): {device.config_url}")
            self.stdout.write(f"Secret (base32): {secret}")
        else:
            self.stdout.write("It already has an authenticator; nothing printed.")
