import orjson
from django.apps import AppConfig
from psycopg.types.json import set_json_loads


class DiscoveryConfig(AppConfig):
    name = "marketplace.discovery"
    label = "discovery"

    def ready(self) -> None:
        # A search's page and facets come back as json columns; orjson parses them several times faster than the
        # stdlib (same values: JSON's numbers, strings, lists and objects). Every connection made from here on uses it.
        set_json_loads(orjson.loads)
