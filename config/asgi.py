"""The ASGI application, for serving the product under an ASGI server (the Procfile serves config.wsgi on granian:
docs/decisions/0007-web-serving.md; tests/test_pool_isolation.py runs this one under uvicorn).

Django's own ASGIHandler runs the middleware in async mode: every sync hook of every middleware (process_request,
process_view, process_response, ...) and the URL resolution hop to the request's thread and back — about a dozen
thread hand-offs per request, ~4 ms of CPU per request on the 2-core box (GET /healthz in-process: 8-9 ms with
Django's handler, 4-4.5 ms with this one; docs/benchmarks.md, flash sale). Our middleware is all sync-capable and our
views are sync, so this handler builds the sync middleware chain (as under WSGI) and runs a request's whole
get_response — middleware, view, error logging — in one hop to that same thread (`thread_sensitive`, so the database
connection used is the one request_finished closes). Async views still work: the sync chain calls them through
async_to_sync, and a streaming response's async iterator is consumed on the event loop afterwards, as before.

Admission: with a connection pool (DB_POOL_MAX_SIZE), a worker runs at most that many requests in Django at once;
the rest wait on the event loop. Without it, a burst (a flash sale: ~500 requests per worker at once) parks every
request in a thread blocked on the pool, where the ones still waiting after the pool's timeout fail with a 500.
"""

import asyncio
import os
import weakref

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class OneHopASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # settings are read once Django is set up, which this module's import does
        from django.conf import settings

        super().load_middleware(is_async=False)
        pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
        self._slot_count = pool["max_size"] if isinstance(pool, dict) else 0
        self._slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per event loop (uvicorn: one)

    async def get_response_async(self, request):
        respond = sync_to_async(self.get_response, thread_sensitive=True)
        if not self._slot_count:
            return await respond(request)
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop) or self._slots.setdefault(loop, asyncio.Semaphore(self._slot_count))
        async with slots:
            return await respond(request)


django.setup(set_prefix=False)
application = OneHopASGIHandler()
