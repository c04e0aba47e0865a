from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tenants import schema_replay
from tenants.migrate_fast import tenant_schemas, tenants_migrate


class Command(BaseCommand):
    help = "Bring every tenant schema (and the provisioning template) up to date; fast replay where possible."

    def add_arguments(self, parser):
        parser.add_argument("--schema", action="append", help="Only this schema (repeatable).")

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
        for schema, error in report.failures.items():
            self.stderr.write(f"{schema}: {error}")
        if report.failures:
            raise CommandError(f"{len(report.failures)} schema(s) failed to migrate")
