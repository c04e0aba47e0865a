"""The hub on its own: one subscription fans a message out to the streams of its channel only, over TCP or the
Unix socket the embedded Redis of `make run` listens on; a lost Redis ends the streams (they replay on reconnect)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import redis

from shared_apps.live.hub import CLOSE, HEARTBEAT, LiveHub
from shared_apps.live.services import live_message, live_redis_channel
from shared_apps.live.tests.sse import run_coroutine


@pytest.fixture
def unix_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary")
    socket_path = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket_path), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        if socket_path.exists():
            break
        time.sleep(0.05)
    yield f"unix://{socket_path}?db=3", process
    process.terminate()
    process.wait(10)


def test_one_subscription_fans_out_to_its_channel_over_a_unix_socket_and_ends_streams_when_redis_goes(unix_redis):
    url, process = unix_redis
    publisher = redis.Redis.from_url(url)

    async def scenario() -> tuple[list, list, list]:
        hub = LiveHub(url=url, heartbeat_seconds=0.2)
        mine, also_mine, other = hub.listen(["order:1"]), hub.listen(["order:1"]), hub.listen(["order:2"])
        assert await hub.wait_ready(5)
        publisher.publish(live_redis_channel("order:1"), live_message(event_id=7, kind="status", data_json='{"a":1}'))
        got = [await asyncio.wait_for(listener.queue.get(), 5) for listener in (mine, also_mine)]
        beat = await asyncio.wait_for(other.queue.get(), 5)  # order:2 heard nothing but the heartbeat
        process.terminate()
        ended = [await _next_not_heartbeat(listener) for listener in (mine, other)]
        return got, [beat], ended

    got, beats, ended = run_coroutine(scenario())
    assert got == [((7, b'id: 7\nevent: status\ndata: {"a":1}\n\n'),)] * 2
    assert beats == [HEARTBEAT] and ended == [CLOSE, CLOSE]


async def _next_not_heartbeat(listener):
    while True:
        item = await asyncio.wait_for(listener.queue.get(), 10)
        if item is not HEARTBEAT:
            return item


def test_events_published_together_reach_a_stream_as_one_write(unix_redis):
    url, _ = unix_redis
    publisher = redis.Redis.from_url(url)

    async def scenario() -> list:
        hub = LiveHub(url=url, heartbeat_seconds=60)
        board, order = hub.listen(["branch:m:1", "order:1"]), hub.listen(["order:1"])
        assert await hub.wait_ready(5)
        pipe = publisher.pipeline(transaction=False)  # one move of an order: the customer's event, then the board's
        pipe.publish(live_redis_channel("order:1"), live_message(event_id=8, kind="status", data_json="{}"))
        pipe.publish(live_redis_channel("branch:m:1"), live_message(event_id=9, kind="order", data_json="{}"))
        pipe.execute()
        return [await asyncio.wait_for(listener.queue.get(), 5) for listener in (board, order)]

    board_item, order_item = run_coroutine(scenario())
    assert [event_id for event_id, _ in board_item] == [8, 9]  # one item: one write to the board's socket
    assert [event_id for event_id, _ in order_item] == [8]
