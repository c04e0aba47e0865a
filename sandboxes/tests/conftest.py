"""Fixtures for the sandbox tests: the Cloudinary account the sandbox process accepts, and a webhook receiver."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from sandboxes.testing import PostRecorder, post_recorder


@dataclass(frozen=True)
class CloudinaryAccount:
    """The credentials the test sandbox was started with (from the CLOUDINARY_URL that `sandbox_server` exports)."""

    base_url: str
    cloud: str
    api_key: str
    api_secret: str

    def api(self, resource_type: str, action: str) -> str:
        return f"{self.base_url}/v1_1/{self.cloud}/{resource_type}/{action}"


@pytest.fixture
def account(sandbox_server) -> CloudinaryAccount:
    parts = urlsplit(os.environ["CLOUDINARY_URL"])
    return CloudinaryAccount(
        base_url=sandbox_server.base_url, cloud=parts.hostname, api_key=parts.username, api_secret=parts.password
    )


@pytest.fixture
def webhook_receiver() -> Iterator[PostRecorder]:
    """An HTTP server that records every POST it receives (`next()` → Received) and answers 200."""
    with post_recorder() as receiver:
        receiver.url = f"{receiver.base_url}/hooks/cloudinary"
        yield receiver
