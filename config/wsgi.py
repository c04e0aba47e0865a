"""The WSGI application the web process serves (Procfile `web`: granian's WSGI interface, threads per worker).

Under WSGI each of granian's blocking threads keeps its PostgreSQL session (CONN_MAX_AGE) and with it the statements
psycopg prepared on it: no pool, no per-request connect. Both URLconfs (the marketplace's and the merchant
consoles') are imported here, not by a worker's first request, and then the process's long-lived objects are moved
out of the garbage collector's reach (gc.freeze): a full collection no longer walks Django's whole import graph.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()


def application(environ, start_response):
    """Django's WSGI app, handing the server a finished body: an ordinary (not streaming) response is joined into
    one bytes object and closed here (Django's request_finished: connections, signals), so the server writes it in
    one go instead of iterating the response object (~0.2 ms of server CPU per request on granian, measured with
    benchmarks/flash_sale.py). Streaming and file responses pass through untouched."""
    response = django_application(environ, start_response)
    if getattr(response, "streaming", True):
        return response
    try:
        return [b"".join(response)]
    finally:
        response.close()


def _warm() -> None:
    # after get_wsgi_application() has set Django up
    from django.conf import settings
    from django.urls import get_resolver

    for urlconf in {settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF}:
        get_resolver(urlconf).url_patterns  # noqa: B018 - imports the views and builds the API schemas


_warm()
gc.freeze()
