"""The live process's ASGI application (Procfile `live`, docs/decisions/0011-live-streams.md): config.asgi's one-hop
handler, with the sync work of every request on ONE shared thread instead of a thread per request.

Django runs each ASGI request in a ThreadSensitiveContext: a thread of its own, and with it a PostgreSQL session,
for as long as the request lasts. A stream lasts minutes, so 2,000 open streams would hold 2,000 threads and 2,000
sessions (PostgreSQL refuses clients long before). Here the streams' connects (auth, access, the replay) queue for
the one thread and its one kept session (CONN_MAX_AGE), and an open stream, waiting on its queue on the event loop,
holds neither.
"""

from config.asgi import OneHopASGIHandler


class LiveASGIHandler(OneHopASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"the live process serves HTTP only, not {scope['type']}")
        await self.handle(scope, receive, send)  # no ThreadSensitiveContext: sync work goes to the shared thread


application = LiveASGIHandler()
