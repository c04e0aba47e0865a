from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo import data as demo_data


class Command(BaseCommand):
    help = "Development only: print the current authenticator code of the demo platform admin."

    def add_arguments(self, parser):
        parser.add_argument("--phone", default=demo_data.SUPERUSER_PHONE)

    def handle(self, *args, **options):
        if not settings.DEV:
            raise CommandError("demo_totp only runs with PLANCKLY_DEV=1")
        device = TOTPDevice.objects.filter(user__phone=options["phone"], key=demo_data.DEMO_ADMIN_TOTP_KEY).first()
        if device is None:
            raise CommandError("no demo authenticator for that phone (only seed_demo's admin has one)")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
