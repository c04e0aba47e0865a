"""`manage.py demo_behaviour --out PATH [--seed S]`: the demo shops' generated behaviour as user,item,timestamp."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.behaviour import DEMO_BEHAVIOUR, demo_catalog
from shared_apps.recommendations.synthetic import behaviour_csv_write, behaviour_generate


class Command(BaseCommand):
    help = "Write the demo neighbourhood's generated shopping behaviour (for recommendations_evaluate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--seed", type=int, default=DEMO_BEHAVIOUR.seed)

    def handle(self, *args: Any, **options: Any) -> None:
        shape = dataclasses.replace(DEMO_BEHAVIOUR, seed=options["seed"])
        try:
            with open(options["out"], "w", encoding="utf-8", newline="") as stream:
                written = behaviour_csv_write(
                    rows=behaviour_generate(shape=shape, catalog=demo_catalog()), stream=stream
                )
        except OSError as exc:
            raise CommandError(f"{options['out']}: {exc.strerror}") from None
        self.stdout.write(
            f"{written:,} interactions over {len(demo_catalog())} demo products written to {options['out']}"
        )
