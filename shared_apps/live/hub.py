"""The stream process's side of Redis: ONE pub/sub connection per process (per event loop), fanned out in memory to
every open stream, so 2,000 open streams cost 2,000 small queues, not 2,000 Redis connections.

The hub pattern-subscribes to every live channel of this database (`live:<database>:*`), parses each message once,
renders its SSE frame once and hands that frame to the queue of each stream listening to the message's channel.
Nothing here touches the database: streams replay from the event log when they connect (shared_apps/live/streams.py),
the hub only carries what is published afterwards.

Messages are handed out in batches, COALESCE_SECONDS after the first of a batch arrives: one move of an order
publishes several events (the order's status, the board's row, the delivery), and a stream that listens to more
than one of them gets them as one queue item, one write to its socket and one read in the proxy and the browser,
instead of one each. Per open stream, the cost of an event is that write, so this is what 2,000 streams cost; a
few milliseconds of delay is invisible next to the time it takes a person to look.

When the Redis connection drops (a restart, a failover) every open stream is ended: the browser's EventSource
reconnects after `retry:` with `Last-Event-ID`, and the new stream replays from the log what was committed
meanwhile. Ending streams rather than replaying into them keeps the loop free of database reads. Streams that
connect while Redis is down replay and end the same way, until the hub is back.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis
from django.conf import settings

from shared_apps.live.services import live_redis_channel

log = logging.getLogger(__name__)

HEARTBEAT = object()  # queue item: send a heartbeat comment
CLOSE = object()  # queue item: end the stream (Redis was lost, or the client fell too far behind)
MAX_QUEUED = 1_000  # a stream this far behind (a stalled client) is ended; it replays from the log on reconnect
COALESCE_SECONDS = 0.005  # how long the hub gathers messages before handing them out (see the module docstring)
RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0)  # seconds between attempts to reach Redis again, then every 2 s


def sse_frame(*, event_id: int, kind: str, data_json: str) -> bytes:
    """One SSE event. `data_json` is one line (JSON never holds a raw newline)."""
    return f"id: {event_id}\nevent: {kind}\ndata: {data_json}\n\n".encode()


Frames = tuple[tuple[int, bytes], ...]  # queue item: (event id, SSE frame) pairs, oldest first, to send as one write


@dataclass(eq=False)
class Listener:
    """One open stream's subscription: the channels it listens to and the frames waiting to be sent."""

    channels: tuple[str, ...]
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    closed: bool = False

    def offer(self, item: object) -> None:
        if self.closed:
            return
        if item is CLOSE or self.queue.qsize() >= MAX_QUEUED:
            self.closed = True
            item = CLOSE
        self.queue.put_nowait(item)


class LiveHub:
    def __init__(self, *, url: str, heartbeat_seconds: float) -> None:
        self._url = url
        self._heartbeat_seconds = heartbeat_seconds
        self._pattern = live_redis_channel("*")
        self._prefix_length = len(self._pattern) - 1
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._streams: set[Listener] = set()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._batch: list[tuple[bytes, bytes]] = []  # (Redis channel, payload) received, not yet handed out
        self._batch_timer: asyncio.TimerHandle | None = None

    # -- streams ----------------------------------------------------------------------------------------------
    def listen(self, channels: list[str]) -> Listener:
        """Register a stream before it replays, so nothing published during the replay is lost (ids dedupe)."""
        self._start()
        listener = Listener(channels=tuple(dict.fromkeys(channels)))
        self._streams.add(listener)
        for channel in listener.channels:
            self._listeners[channel].add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        listener.closed = True
        self._streams.discard(listener)
        for channel in listener.channels:
            listeners = self._listeners.get(channel)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[channel]

    async def wait_ready(self, timeout: float) -> bool:
        """Whether Redis is subscribed (waiting up to `timeout` seconds for it)."""
        if self._ready.is_set():
            return True
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    # -- Redis ------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._subscribe_forever()), asyncio.create_task(self._beat())]

    async def _subscribe_forever(self) -> None:
        attempt = 0
        while True:
            client = aioredis.from_url(self._url)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.psubscribe(self._pattern)
                    self._ready.set()
                    attempt = 0
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self._received(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live hub lost Redis; ending open streams so they replay on reconnect", exc_info=True)
            finally:
                self._ready.clear()
                await client.aclose()
            self._hand_out()  # what arrived before the loss goes out before the streams end
            self._close_all()
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            attempt += 1

    def _received(self, redis_channel: bytes, payload: bytes) -> None:
        self._batch.append((redis_channel, payload))
        if self._batch_timer is None:
            self._batch_timer = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._hand_out)

    def _hand_out(self) -> None:
        """Render each message of the batch once and give every listener its frames of the batch as one item."""
        if self._batch_timer is not None:
            self._batch_timer.cancel()
            self._batch_timer = None
        batch, self._batch = self._batch, []
        items: dict[Listener, list[tuple[int, bytes]]] = {}
        for redis_channel, payload in batch:
            listeners = self._listeners.get(redis_channel.decode()[self._prefix_length :])
            if not listeners:
                continue
            try:
                message = orjson.loads(payload)
                event_id = int(message["id"])
                data_json = orjson.dumps(message["data"]).decode()
                frame = sse_frame(event_id=event_id, kind=str(message["kind"]), data_json=data_json)
            except (ValueError, KeyError, TypeError):
                log.warning("live hub dropped a malformed message on %r", redis_channel)
                continue
            for listener in listeners:
                items.setdefault(listener, []).append((event_id, frame))
        for listener, frames in items.items():
            listener.offer(tuple(frames))

    def _close_all(self) -> None:
        for listener in list(self._streams):
            listener.offer(CLOSE)

    async def _beat(self) -> None:
        # one timer for every stream instead of a timeout per stream
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            for listener in list(self._streams):
                listener.offer(HEARTBEAT)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def live_hub() -> LiveHub:
    """This event loop's hub (a server process runs one loop per worker: one Redis connection each)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = LiveHub(url=settings.REDIS_URL, heartbeat_seconds=settings.LIVE_HEARTBEAT_SECONDS)
    return hub
