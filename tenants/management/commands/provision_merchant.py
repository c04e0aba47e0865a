from django.core.management.base import BaseCommand, CommandError

from kernel.errors import DomainError
from tenants.services import merchant_provision


class Command(BaseCommand):
    help = "Provision a merchant: schema, host <slug>.<BASE_DOMAIN> and the owner's Merchant membership."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-phone", required=True)
        parser.add_argument("--area", default="")

    def handle(self, *args, **options):
        try:
            merchant = merchant_provision(
                name=options["name"], slug=options["slug"], owner_phone=options["owner_phone"], area=options["area"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        domain = merchant.domains.get(is_primary=True).domain
        self.stdout.write(
            self.style.SUCCESS(f"Provisioned {merchant.name}: http://{domain}:8000/ ({merchant.schema_name})")
        )
