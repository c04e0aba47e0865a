import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from sandboxes.app import app


def _get(path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
            return await client.get(path)

    # A thread of its own: the browser tests' Playwright keeps an event loop running in the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, call()).result()


def test_sandboxes_process_answers():
    assert _get("/healthz").json()["status"] == "ok"
    assert "Provider sandboxes" in _get("/").text
