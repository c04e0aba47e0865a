"""Provisioning benchmark: replayed-DDL fast path vs django-tenants' migrate path, and migrating many tenants.

Run from the repo root:

    .venv/bin/python benchmarks/provisioning.py [--n 30] [--tenants 1000] [--baseline-sample 20] [--wide 1]
                                                [--pending APP.NAME] [--keep]

The tenant schema is widened first (`--wide 1`: every tenant table copied once, benchmarks/wide_schema.py) so the
goals are checked on a schema twice as wide as today's: provisioning must not grow with it. Provisioning is measured
as a running deployment does it (the pool of spare schemas kept full by beat: a claim and a rename), and when the
pool is empty (the replayed-DDL fallback); migrating many tenants leaves one real tenant migration pending (--pending).

It never touches dev data: it derives a database `<name>_bench` on the same server as DATABASE_URL (or the
embedded server of .data/embedded.env), drops and recreates it, migrates the shared apps into it, measures, and
drops it again (unless --keep). Output: plain figures, then a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, shared_apps_migrate
from benchmarks.harness.database import bench_database, database_server, postgres_settings, rows_dict
from benchmarks.harness.figures import fmt_ms, summary, verdict

GOAL_FAST_P50_MS = 150.0
GOAL_MIGRATE_1000_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=30, help="merchants provisioned through the fast path (default 30)")
    parser.add_argument("--tenants", type=int, default=1000, help="existing tenant schemas to migrate (default 1000)")
    parser.add_argument(
        "--baseline-sample", type=int, default=20, help="schemas migrated with migrate_schemas for the baseline"
    )
    parser.add_argument(
        "--wide",
        type=int,
        default=1,
        help="copies of every tenant table added to the schema (default 1: twice as wide)",
    )
    parser.add_argument(
        "--pending",
        default="staff.0002_auditentry_invitation_and_more",
        help="the tenant migration left pending in the many-tenants run (default: the one docs/benchmarks.md uses)",
    )
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_bench)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if args.n < 1 or args.tenants < 1 or args.baseline_sample < 1 or args.wide < 0:
        parser.error("--n, --tenants and --baseline-sample must be positive, --wide not negative")

    run_started = time.perf_counter()
    with bench_database(name=args.db_name, keep=args.keep) as (_, bench_name):
        return run(args, bench_name, run_started)


def run(args: argparse.Namespace, bench_name: str, run_started: float) -> int:
    django_start()
    shared_migrate_s = shared_apps_migrate()
    tenant = tenant_schema_describe()
    if args.wide:
        from benchmarks.wide_schema import wide_schema_install  # Django is set up above

        wide_schema_install(copies=args.wide)
    pg = postgres_settings("server_version", "shared_buffers", "synchronous_commit", "fsync")
    report.section("Machine")
    report.rows_print(
        report.machine_rows(pg, f"server {database_server()}", shown=("shared_buffers", "synchronous_commit", "fsync"))
    )
    report.rows_print(
        [
            ("Django", report.versions("django-tenants", "psycopg")),
            (
                "Tenant schema",
                f"{tenant.tables} tables from {len(tenant.labels)} apps ({', '.join(sorted(tenant.labels))}), "
                f"{len(tenant.migrations)} tenant migrations: "
                + ", ".join(f"{app}.{name}" for app, name in tenant.migrations),
            ),
            ("Bench database", f"{bench_name} (fresh; shared apps migrated in {shared_migrate_s:.1f} s)"),
        ]
    )

    fast = fast_path_measure(args.n)
    n_slow = max(5, args.n // 3)
    slow = migrate_path_measure(n_slow)
    speedup = slow["p50"] / fast.ms["p50"]
    print(f"Speed-up of the fast path (p50 vs p50): {speedup:.0f}x")
    if args.wide:  # migrate_schemas builds today's schema, not the widened one: tests/ prove them identical
        print(f"Replayed schema (tables, indexes, constraints): {fast.shape}, widened x{args.wide + 1}")
    else:
        same_shape = schema_shape("m_bench_m0000") == fast.shape
        print(
            f"Replayed schema vs migrated schema (tables, indexes, constraints): {fast.shape} vs "
            f"{schema_shape('m_bench_m0000')} -> {'same' if same_shape else 'DIFFERENT'}"
        )
    many = tenants_migrate_measure(args, fast.script, tenant)

    # The goal is about schemas that have a migration pending; up-to-date ones ride along in the measured time.
    migrated = many.report
    migrate_1000_s = (
        migrated.seconds if migrated.replayed >= 1000 else migrated.seconds * 1000 / max(1, migrated.replayed)
    )
    scaled = "" if migrated.replayed >= 1000 else f" (scaled from {migrated.replayed:,} replayed schemas to 1,000)"
    fast_ok = fast.ms["p50"] <= GOAL_FAST_P50_MS
    migrate_ok = migrate_1000_s <= GOAL_MIGRATE_1000_S and many.verified
    report.section("Goals")
    print(f"{verdict(fast_ok)}  fast path p50 <= {GOAL_FAST_P50_MS:.0f} ms: {fmt_ms(fast.ms['p50'])} ms")
    print(
        f"{verdict(migrate_ok)}  1,000 tenants migrated <= {GOAL_MIGRATE_1000_S:.0f} s: {migrate_1000_s:.1f} s"
        f"{scaled}{'' if many.verified else ' (verification failed)'}"
    )

    report.section("Markdown (docs/benchmarks.md)")
    last = many.pending
    rows = [
        (
            "Provision a merchant from the pool (claim a spare schema, rename it)",
            f"p50 {fmt_ms(fast.ms['p50'])} ms, p95 {fmt_ms(fast.ms['p95'])} ms, max {fmt_ms(fast.ms['max'])} ms "
            f"(n={args.n})",
            f"p50 ≤ {GOAL_FAST_P50_MS:.0f} ms: **{verdict(fast_ok)}**",
        ),
        (
            "Provision with the pool empty (replayed DDL)",
            f"p50 {fmt_ms(fast.fallback_ms['p50'])} ms, p95 {fmt_ms(fast.fallback_ms['p95'])} ms",
            "",
        ),
        ("Build one spare schema (beat, off the request path)", f"{fmt_ms(fast.spare_build_ms)} ms", ""),
        ("Provision, first after deploy, pool empty", f"{fmt_ms(fast.cold_ms)} ms", ""),
        (
            "Provision, django-tenants `create_schema` (migrate_schemas)",
            f"p50 {fmt_ms(slow['p50'])} ms, p95 {fmt_ms(slow['p95'])} ms (n={n_slow})",
            f"fast path {speedup:.0f}x faster",
        ),
        (
            f"Migrate {migrated.schemas:,} tenant schemas, `tenants_migrate` ({migrated.replayed:,} pending "
            f"`{last.app}.{last.name}`)",
            f"{migrated.seconds:.1f} s ({many.per_schema_ms:.1f} ms/schema), verified "
            f"{'OK' if many.verified else 'MISMATCH'}",
            f"1,000 ≤ {GOAL_MIGRATE_1000_S:.0f} s: **{verdict(migrate_ok)}**{scaled}",
        ),
        (f"`tenants_migrate`, nothing pending ({many.noop.schemas:,} schemas)", f"{many.noop.seconds:.2f} s", ""),
        (
            f"Migrate, django-tenants `migrate_schemas` per schema (n={many.baseline_n})",
            f"p50 {fmt_ms(many.baseline['p50'])} ms, mean {fmt_ms(many.baseline['mean'])} ms per schema",
            f"**extrapolated** to {args.tenants:,}: {many.extrapolated_s:,.0f} s",
        ),
    ]
    print()
    print(
        f"{report.machine_line()}; PostgreSQL {pg['server_version']} ({database_server()}); Python "
        f"{platform.python_version()}, Django {django.get_version()}, django-tenants {version('django-tenants')}. "
        f"Tenant schema: {fast.shape[0]} tables, {len(tenant.migrations)} tenant migrations."
    )
    print()
    report.markdown_table(("Measure", "Result", "Goal / comparison"), rows)
    report.wall_time(run_started)
    return 0 if fast_ok and migrate_ok else 1


# ---------------------------------------------------------------------------------------------------------------
# The workload
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantSchema:
    labels: frozenset[str]  # the tenant apps
    tables: int  # managed tables of the tenant apps
    migrations: list[tuple[str, str]]  # (app, name) of every tenant migration on disk


@dataclass(frozen=True)
class FastPath:
    cold_ms: float  # the first merchant after deploy: records the schema script, then provisions
    ms: dict[str, float]  # summary() of the warm ones
    script: Any  # the recorded schema_replay script
    shape: tuple[int, int, int]  # (tables, indexes, constraints) of a provisioned schema
    fallback_ms: dict[str, float]  # summary() with the pool empty: the replayed DDL
    spare_build_ms: float  # building one spare, off the request path


@dataclass(frozen=True)
class ManyTenants:
    pending: Any  # the tenant migration left pending in every schema
    report: Any  # tenants_migrate()'s report
    noop: Any  # tenants_migrate() again, nothing pending
    per_schema_ms: float
    verified: bool
    baseline: dict[str, float]  # summary() of migrate_schemas per schema
    baseline_n: int
    extrapolated_s: float


def tenant_schema_describe() -> TenantSchema:
    # Django is set up (run()): the app registry and the migration loader are ready.
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    labels = frozenset(c.label for c in apps.get_app_configs() if c.name in settings.TENANT_APPS)
    tables = sum(
        1
        for label in labels
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return TenantSchema(labels, tables, sorted(key for key in loader.disk_migrations if key[0] in labels))


def schema_shape(schema: str) -> tuple[int, int, int]:
    """(tables, indexes, constraints) of `schema`, django_migrations not counted."""
    from django.db import connection  # Django is set up in run()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = %(s)s AND tablename <> 'django_migrations'),"
            " (SELECT count(*) FROM pg_indexes WHERE schemaname = %(s)s AND tablename <> 'django_migrations'),"
            " (SELECT count(*) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace"
            "  JOIN pg_class c ON c.oid = co.conrelid"
            "  WHERE n.nspname = %(s)s AND c.relname <> 'django_migrations')",
            {"s": schema},
        )
        return tuple(cursor.fetchone())


def fast_path_measure(n: int) -> FastPath:
    """The public service as a running deployment calls it: `n` merchants claiming spares of the pool (filled first,
    as beat keeps it), after the first merchant (which records the schema script when none is stored) and a few with
    the pool empty (the replayed-DDL fallback)."""
    from tenants import schema_replay, schema_spares, services  # Django is set up in run()

    report.section(f"Provisioning: merchant_provision, {n} merchants from the pool, and the fallback")
    started = time.perf_counter()
    services.merchant_provision(name="Bench cold", slug="bench-cold", owner_phone="+923000000000")
    cold_ms = (time.perf_counter() - started) * 1000
    script = schema_replay.current_script(build_if_missing=False)
    assert script is not None, "the first merchant_provision should have recorded the schema script"
    shape = schema_shape("m_bench_cold")
    statements = len(script.preamble) + sum(len(m.statements) for m in script.migrations)
    print(
        f"Recorded script: {len(script.migrations)} migrations ({statements} statements); a provisioned schema has "
        f"{shape[0]} tables + django_migrations, {shape[1]} indexes, {shape[2]} constraints"
    )
    print(f"First after deploy, pool empty (records the script if needed, then replays it): {fmt_ms(cold_ms)} ms")

    def provision(slugs: list[str], phones: str) -> dict[str, float]:
        times = []
        for i, slug in enumerate(slugs):
            started = time.perf_counter()
            services.merchant_provision(name=f"Bench {slug}", slug=slug, owner_phone=f"{phones}{i:07d}")
            times.append((time.perf_counter() - started) * 1000)
        return summary(times)

    fallback = provision([f"bench-r{i:04d}" for i in range(max(5, n // 3))], "+92304")
    print(f"Pool empty, replayed DDL (n={max(5, n // 3)}): {summary_text(fallback)}")

    started = time.perf_counter()
    built = schema_spares.spares_refill(target=n).built
    build_s = time.perf_counter() - started
    spare_ms = build_s * 1000 / max(1, built)
    print(f"Pool filled off the request path: {built} spares in {build_s:.1f} s ({spare_ms:.0f} ms each)")
    claimed = provision([f"bench-f{i:04d}" for i in range(n)], "+92301")
    print(f"From the pool, claim + rename (n={n}): {summary_text(claimed)}")
    assert schema_shape("m_bench_f0000") == shape, "a claimed spare differs from a replayed schema"
    return FastPath(cold_ms, claimed, script, shape, fallback, spare_ms)


def summary_text(s: dict[str, float]) -> str:
    return (
        f"p50 {fmt_ms(s['p50'])} ms, p95 {fmt_ms(s['p95'])} ms, max {fmt_ms(s['max'])} ms, mean {fmt_ms(s['mean'])} ms"
    )


def migrate_path_measure(n: int) -> dict[str, float]:
    """Baseline: `n` merchants the way django-tenants provisions, create_schema running migrate_schemas."""
    # Django is set up in run(): the models and services can be imported.
    from django_tenants.utils import schema_context

    from shared_apps.accounts.services import user_get_or_create_by_phone
    from tenant_apps.staff.models import Membership, Role
    from tenants import services
    from tenants.models import Domain, Merchant

    report.section(f"Baseline: django-tenants create_schema (migrate_schemas per schema), {n} merchants")
    slow_ms: list[float] = []
    for i in range(n):
        slug = f"bench-m{i:04d}"
        started = time.perf_counter()
        owner = user_get_or_create_by_phone(phone=f"+92302{i:07d}")
        merchant = Merchant(
            name=f"Bench migrate {i}", slug=slug, schema_name=services.schema_name_for(slug), owner=owner
        )
        merchant.auto_create_schema = False  # as the model declares; the schema is built explicitly below
        merchant.save()
        Domain.objects.create(domain=services.merchant_domain(slug), tenant=merchant, is_primary=True)
        merchant.create_schema(check_if_exists=True, verbosity=0)  # TenantMixin: CREATE SCHEMA + migrate_schemas
        with schema_context(merchant.schema_name):
            Membership.objects.create(user=owner, role=Role.MERCHANT)
        slow_ms.append((time.perf_counter() - started) * 1000)
    slow = summary(slow_ms)
    print(f"Per merchant (n={n}): {summary_text(slow)}")
    return slow


def schemas_create_all_but_last(script: Any, all_but_last: list, prefix: str, count: int, batch: int = 20) -> list[str]:
    """Registered merchants whose schemas stop one tenant migration short (replayed, `batch` per transaction)."""
    # Django is set up in run(): the models and services can be imported.
    from django.db import connection, transaction

    from tenants import schema_replay, services
    from tenants.models import Domain, Merchant

    names = []
    for start in range(0, count, batch):
        merchants = []
        for i in range(start, min(start + batch, count)):
            slug = f"{prefix}{i:05d}"
            merchants.append(Merchant(name=f"Bench {slug}", slug=slug, schema_name=services.schema_name_for(slug)))
        with transaction.atomic():
            Merchant.objects.bulk_create(merchants)
            Domain.objects.bulk_create(
                Domain(domain=services.merchant_domain(m.slug), tenant=m, is_primary=True) for m in merchants
            )
            sql = ";\n".join(
                f"CREATE SCHEMA {schema_replay.quote_schema(m.schema_name)};\n"
                + schema_replay.replay_sql(m.schema_name, all_but_last, preamble=script.preamble)
                for m in merchants
            )
            with connection.cursor() as cursor:
                cursor.execute(sql)
        names.extend(m.schema_name for m in merchants)
    return names


def tenants_migrate_measure(args: argparse.Namespace, script: Any, tenant: TenantSchema) -> ManyTenants:
    """`--tenants` schemas one tenant migration short, migrated by tenants_migrate(), verified, migrated again with
    nothing pending; and the baseline: migrate_schemas per schema on `--baseline-sample` more."""
    # Django is set up in run(): the models and services can be imported.
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from tenants import migrate_fast, schema_replay

    tenant_steps = [i for i, m in enumerate(script.migrations) if m.app in tenant.labels and m.statements]
    assert tenant_steps, "the script has no tenant migration with statements"
    # One real tenant migration is left pending with the migrations that depend on it (a schema never has a migration
    # applied before one it depends on): --pending, by default the one every recorded figure used, else the heaviest.
    by_name = {f"{script.migrations[i].app}.{script.migrations[i].name}": i for i in tenant_steps}
    heaviest = max(tenant_steps, key=lambda i: len(script.migrations[i].statements))
    last = script.migrations[by_name.get(args.pending, heaviest)]
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    pending = set(graph.backwards_plan((last.app, last.name)))  # it and every migration that depends on it
    all_but_last = [m for m in script.migrations if (m.app, m.name) not in pending]
    after = "" if len(pending) == 1 else f" and {len(pending) - 1} after it"
    report.section(
        f"{args.tenants:,} tenants migrated: pending {last.app}.{last.name}{after} ({len(last.statements)} statements)"
    )

    started = time.perf_counter()
    old_schemas = schemas_create_all_but_last(script, all_but_last, "bulk-", args.tenants)
    with connection.cursor() as cursor:
        # The setup's files are synced now, not by the first checkpoint inside the measured migration: a deployment's
        # schemas were written long before its deploy.
        cursor.execute("CHECKPOINT")
    setup_s = time.perf_counter() - started
    print(
        f"Setup (not measured): {len(old_schemas):,} registered merchants at 'all but {last.app}.{last.name}' "
        f"in {setup_s:.1f} s (then CHECKPOINT)"
    )

    all_schemas = migrate_fast.tenant_schemas()
    migrated = migrate_fast.tenants_migrate()
    per_schema_ms = migrated.seconds * 1000 / max(1, migrated.schemas)
    per_replayed_ms = migrated.seconds * 1000 / max(1, migrated.replayed)
    print(
        f"tenants_migrate(): {migrated.seconds:.2f} s for {migrated.schemas:,} schemas "
        f"({migrated.replayed:,} replayed, {migrated.up_to_date} already up to date, {migrated.migrated_slow} via "
        f"Django's migrate, {len(migrated.failures)} failures)"
    )
    print(f"  = {per_schema_ms:.1f} ms per schema ({per_replayed_ms:.1f} ms per replayed schema)")
    for schema, error in list(migrated.failures.items())[:5]:
        print(f"  FAILURE {schema}: {error}")

    expected = {(m.app, m.name) for m in script.migrations}
    applied = schema_replay.applied_migrations(all_schemas)
    incomplete = [s for s in all_schemas if not expected <= applied[s]]
    table_counts = rows_dict(
        "SELECT n.nspname, count(c.oid) FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid "
        "AND c.relkind IN ('r', 'p') AND c.relname <> 'django_migrations' WHERE n.nspname = ANY(%s) GROUP BY 1",
        [all_schemas],
    )
    schema_tables = schema_shape("m_bench_cold")[0]
    wrong_tables = [s for s in all_schemas if table_counts.get(s) != schema_tables]
    verified = not incomplete and not wrong_tables and not migrated.failures and migrated.schemas == len(all_schemas)
    print(
        f"Verify: {len(all_schemas):,} schemas, {len(all_schemas) - len(incomplete):,} with all "
        f"{len(expected)} migrations applied, {len(all_schemas) - len(wrong_tables):,} with "
        f"{schema_tables} tables -> {'OK' if verified else 'MISMATCH'}"
    )
    if incomplete or wrong_tables:
        print(f"  incomplete: {incomplete[:5]}  wrong table count: {wrong_tables[:5]}")

    noop = migrate_fast.tenants_migrate()
    print(
        f"Second run, nothing pending: {noop.seconds:.2f} s for {noop.schemas:,} schemas "
        f"({noop.up_to_date:,} up to date, {noop.replayed} replayed)"
    )

    # Baseline: django-tenants' migrate_schemas, one schema at a time, on fresh schemas at the same state.
    sample = schemas_create_all_but_last(script, all_but_last, "base-", args.baseline_sample)
    base_ms: list[float] = []
    for schema in sample:
        started = time.perf_counter()
        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
        base_ms.append((time.perf_counter() - started) * 1000)
    connection.set_schema_to_public()
    base = summary(base_ms)
    base_applied = schema_replay.applied_migrations(sample)
    base_ok = all(expected <= base_applied[s] for s in sample)
    extrapolated_s = base["mean"] * args.tenants / 1000
    print(
        f"Baseline migrate_schemas --tenant -s <schema> on {len(sample)} schemas at the same state: "
        f"p50 {fmt_ms(base['p50'])} ms, p95 {fmt_ms(base['p95'])} ms, mean {fmt_ms(base['mean'])} ms "
        f"({'all migrated' if base_ok else 'NOT all migrated'})"
    )
    print(
        f"  EXTRAPOLATED to {args.tenants:,} schemas (mean x {args.tenants:,}): {extrapolated_s:,.0f} s "
        f"= {extrapolated_s / 60:.1f} min, vs {migrated.seconds:.1f} s measured for tenants_migrate "
        f"({extrapolated_s / migrated.seconds:.0f}x)"
    )
    return ManyTenants(last, migrated, noop, per_schema_ms, verified, base, len(sample), extrapolated_s)


if __name__ == "__main__":
    sys.exit(main())
