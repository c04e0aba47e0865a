"""`manage.py recommendations_generate --out PATH [--interactions N --shoppers N --items N --seed S]`.

Writes a skewed interaction log (`synthetic.py`: popularity, tastes, baskets, repeat purchases) as
`user,item,timestamp`, the same file for the same arguments: what `recommendations_evaluate` is benchmarked on.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_apps.recommendations.synthetic import BehaviourShape, behaviour_csv_write, behaviour_generate

ITEMS_PER_GROUP = 25  # taste clusters hold a few dozen items, like a shelf or a cuisine


class Command(BaseCommand):
    help = "Write a reproducible, realistically skewed interactions CSV (user,item,timestamp)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--interactions", type=int, default=BehaviourShape.interactions)
        parser.add_argument("--shoppers", type=int, default=BehaviourShape.shoppers)
        parser.add_argument("--items", type=int, default=BehaviourShape.items)
        parser.add_argument("--seed", type=int, default=BehaviourShape.seed)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = {name: options[name] for name in ("interactions", "shoppers", "items")}
        if any(value < 1 for value in counts.values()):
            raise CommandError("--interactions, --shoppers and --items must be at least 1")
        shape = BehaviourShape(**counts, groups=max(1, options["items"] // ITEMS_PER_GROUP), seed=options["seed"])
        try:
            with open(options["out"], "w", encoding="utf-8", newline="") as stream:
                written = behaviour_csv_write(rows=behaviour_generate(shape=shape), stream=stream)
        except OSError as exc:
            raise CommandError(f"{options['out']}: {exc.strerror}") from None
        self.stdout.write(f"{written:,} interactions written to {options['out']}")
