"""`manage.py recommendations_train [--region R] [--json]`: train now, as the nightly beat does (ADR 0016).

Prints a line per region trained (its algorithm, shoppers, items, events, fit seconds, the process's peak MB), or
with `--json` one list of objects with those keys plus `region`, `status`, `model_id` and `error`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from marketplace.recommendations.training import recommendations_train
from shared_apps.recommendations.models import TrainedModel


def model_json(model: TrainedModel) -> dict[str, Any]:
    return {
        "region": model.region,
        "model_id": model.pk,
        "status": model.status,
        "algorithm": model.algorithm,
        "users": model.users,
        "items": model.items,
        "events": model.events,
        "fit_seconds": model.fit_seconds,
        "peak_mb": model.peak_mb,
        "error": model.error,
    }


class Command(BaseCommand):
    help = "Train every region's recommendations now (or one region's), within the configured budget."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help="Only this region (a city's slug, or h3:<cell>).")
        parser.add_argument("--json", action="store_true", help="One JSON list instead of the table.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["json"] or options["verbosity"] < 2
        models = recommendations_train(
            region=options["region"], progress=None if quiet else (lambda text: self.stderr.write(text))
        )
        if options["json"]:
            self.stdout.write(json.dumps([model_json(model) for model in models]))
            return
        if not models:
            self.stdout.write("No region trained (no listed products there, or another training is running).")
            return
        self.stdout.write(
            f"{'region':<24} {'status':<8} {'algorithm':<15} {'users':>8} {'items':>8} {'events':>10} "
            f"{'fit s':>7} {'peak MB':>8}"
        )
        for model in models:
            self.stdout.write(
                f"{model.region:<24} {model.status:<8} {model.algorithm or '-':<15} {model.users:>8,} "
                f"{model.items:>8,} {model.events:>10,} {model.fit_seconds:>7.2f} {model.peak_mb:>8.0f}"
            )
            if model.error:
                self.stdout.write(f"  error: {model.error}")
