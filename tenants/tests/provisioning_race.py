"""Several provisionings of one slug at the same moment, each on its own thread and database session."""

from __future__ import annotations

import threading

from django.db import connections

from tenants.errors import TenantsError
from tenants.services import merchant_provision


def provisionings_raced(*, slug: str, phones: str, racers: int = 4) -> list[str]:
    """Start `racers` provisionings of `slug` together (owner phones `phones` + the racer's digit); each outcome is
    "ok", a TenantsError code, or the repr of anything else, in the order they finished."""
    results: list[str] = []
    barrier = threading.Barrier(racers)

    def provision(i: int) -> None:
        barrier.wait()
        try:
            merchant_provision(name=f"Racer {i}", slug=slug, owner_phone=f"{phones}{i}")
            results.append("ok")
        except TenantsError as exc:
            results.append(str(exc.code))
        except Exception as exc:
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=provision, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
