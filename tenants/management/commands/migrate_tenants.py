from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tenants import schema_replay, schema_spares
from tenants.migrate_fast import tenant_schemas, tenants_migrate


class Command(BaseCommand):
    help = (
        "Bring every tenant schema (and the provisioning template) up to date; fast replay where possible. Then "
        "bring the spare schemas of the provisioning pool forward and refill it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", action="append", help="Only this schema (repeatable); spares are left as is.")
        parser.add_argument(
            "--spares",
            type=int,
            default=settings.TENANT_SPARE_SCHEMAS,
            help="Spare schemas to keep ready for provisioning (default TENANT_SPARE_SCHEMAS).",
        )

    def handle(self, *args, **options):
        script = schema_replay.current_script()  # records the template on the first run after a migration change
        schemas = options["schema"] or tenant_schemas()
        with tqdm(total=len(schemas), desc="tenant schemas", disable=options["verbosity"] < 1 or not schemas) as bar:
            report = tenants_migrate(schemas=schemas, progress=bar.update)
        self.stdout.write(
            f"{report.schemas} tenant schemas: {report.up_to_date} up to date, {report.replayed} replayed, "
            f"{report.migrated_slow} migrated by Django, {len(report.failures)} failed in {report.seconds:.2f}s "
            f"(script {script.fingerprint[:12]}, {len(script.migrations)} migrations)"
        )
        if not options["schema"]:
            forward = schema_spares.spares_bring_forward()
            refill = schema_spares.spares_refill(target=options["spares"])
            self.stdout.write(
                f"spare schemas: {forward.brought_forward} brought forward, {forward.dropped} dropped, "
                f"{refill.built} built ({schema_spares.spares_count(shape=script.shape)} ready)"
            )
        for schema, error in report.failures.items():
            self.stderr.write(f"{schema}: {error}")
        if report.failures:
            raise CommandError(f"{len(report.failures)} schema(s) failed to migrate")
