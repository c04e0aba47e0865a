"""An SSE response for a set of channels, once the caller has decided who may listen (the API routes do that, with
the same auth and access rules as the objects' own reads).

| served by | the response |
|---|---|
| ASGI (Procfile `live`, ADR 0011) | `retry:`, the replay after `Last-Event-ID`, then each event published on the |
| | channels and a heartbeat comment, until the client leaves or Redis is lost |
| WSGI (Procfile `web`, if a request | `retry:` and the replay, then it ends: EventSource reconnects after `retry` ms |
| ever reaches it) | (polling, degraded) instead of holding a page worker for as long as the stream |

The replay reads the event log once, at connect (in Django's thread); the loop afterwards reads only the stream's
in-memory queue that the process's one Redis subscription fills (shared_apps/live/hub.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from shared_apps.live.hub import CLOSE, HEARTBEAT, live_hub, sse_frame
from shared_apps.live.selectors import REPLAY_LIMIT, ReplayedEvent, live_events_after

CONTENT_TYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx-style proxies: do not buffer
REDIS_WAIT_SECONDS = 3.0  # a stream opened while Redis is down replays, waits this long, then ends (and retries)


def last_event_id(request: HttpRequest) -> int | None:
    """Where the client is: EventSource's `Last-Event-ID` header on a reconnect, else the page's `last_event_id`
    query parameter (the id it rendered up to); None (start from now) when absent or not a number."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _replay_frames(events: list[ReplayedEvent]) -> list[bytes]:
    frames = [sse_frame(event_id=e.id, kind=e.kind, data_json=e.data_json) for e in events]
    if len(events) >= REPLAY_LIMIT:  # too far behind to replay: the page reloads itself
        frames.append(sse_frame(event_id=events[-1].id, kind="reload", data_json="{}"))
    return frames


def live_stream_response(request: HttpRequest, *, channels: list[str]) -> HttpResponse:
    """The stream of `channels` for this request (see the module's table for what each server gets)."""
    after = last_event_id(request)
    retry = f"retry: {settings.LIVE_RETRY_MS}\n\n".encode()
    if not isinstance(request, ASGIRequest):
        events = live_events_after(channels=channels, after_id=after) if after is not None else []
        body = b"".join([retry, *_replay_frames(events)])
        return HttpResponse(body, content_type=CONTENT_TYPE, headers=HEADERS)
    response = StreamingHttpResponse(_stream(channels, after, retry), content_type=CONTENT_TYPE, headers=HEADERS)
    return response


async def _stream(channels: list[str], after: int | None, retry: bytes) -> AsyncIterator[bytes]:
    hub = live_hub()
    listener = hub.listen(channels)  # before the replay: what is published meanwhile waits in the queue
    try:
        yield retry  # the headers and a first byte go out now: the client knows it is connected
        ready = await hub.wait_ready(REDIS_WAIT_SECONDS)
        replayed: set[int] = set()
        if after is not None:
            events = await sync_to_async(live_events_after, thread_sensitive=True)(channels=channels, after_id=after)
            replayed = {e.id for e in events}
            for frame in _replay_frames(events):
                yield frame
            if len(events) >= REPLAY_LIMIT:
                return
        if not ready:
            return  # no Redis: the client comes back after `retry` and replays what it missed
        while True:
            item = await listener.queue.get()
            if item is CLOSE:
                return
            if item is HEARTBEAT:
                yield b": heartbeat\n\n"
                continue
            frames = [frame for event_id, frame in item if event_id not in replayed]
            if frames:
                yield b"".join(frames)
    finally:
        hub.forget(listener)
