from django.core.management.base import BaseCommand
from tqdm import tqdm

from marketplace.discovery.search_text import search_terms_refresh
from marketplace.listings.sync import listings_rebuild
from tenants.models import Merchant, MerchantStatus


class Command(BaseCommand):
    help = "Recompute the public listing index from every merchant's schema (or --merchant SLUG), with progress."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", action="append", help="Only this merchant slug (repeatable).")

    def handle(self, *args, **options):
        merchants = Merchant.objects.exclude(schema_name="public").exclude(status=MerchantStatus.ARCHIVED)
        if options["merchant"]:
            merchants = merchants.filter(slug__in=options["merchant"])
        schemas = list(merchants.order_by("pk").values_list("schema_name", flat=True))
        upserted = deleted = 0
        seconds = 0.0
        with tqdm(total=len(schemas), desc="merchants", unit="merchant", disable=options["verbosity"] < 1) as bar:
            for schema in schemas:
                report = listings_rebuild(schema=schema)
                upserted, deleted, seconds = (
                    upserted + report.upserted,
                    deleted + report.deleted,
                    seconds + report.seconds,
                )
                bar.set_postfix(rows=upserted)
                bar.update()
        terms = search_terms_refresh()
        rate = upserted / seconds if seconds else 0
        self.stdout.write(
            f"rebuild_listings: {len(schemas)} merchants, {upserted} rows written, {deleted} removed "
            f"in {seconds:.2f}s ({rate:,.0f} rows/s); search vocabulary {terms} words"
        )
