"""The SMS sandbox as a separate process: Twilio's protocol, the persisted inbox, the page people read codes on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from sandboxes.sms import num_segments
from sandboxes.testing import REPO

SID = "ACsandbox0000000000000000000000000"
TOKEN = "sandbox-auth-token"


@pytest.fixture
def api(sandbox_server, settings) -> httpx.Client:
    """A raw HTTP client with the credentials the sandbox process was started with."""
    with httpx.Client(
        base_url=sandbox_server.base_url, auth=(settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN), timeout=5
    ) as client:
        yield client


def _messages_path(settings) -> str:
    return f"/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"


def test_defaults_match_the_app_settings(settings):
    from sandboxes import sms

    assert (sms.DEFAULT_ACCOUNT_SID, sms.DEFAULT_AUTH_TOKEN) == (SID, TOKEN)
    assert len(SID) == 34


def test_create_replies_like_twilio(api, settings, phone):
    response = api.post(_messages_path(settings), data={"To": phone, "From": "PLANCKLY", "Body": "Hi"})

    assert response.status_code == 201
    message = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert message["status"] == "queued"
    assert (message["to"], message["from"], message["body"]) == (phone, "PLANCKLY", "Hi")
    assert message["direction"] == "outbound-api"
    assert message["api_version"] == "2010-04-01"
    assert message["account_sid"] == settings.SMS_ACCOUNT_SID
    assert (message["price"], message["error_code"], message["num_segments"]) == (None, None, "1")
    assert message["uri"] == f"/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages/{message['sid']}.json"
    assert parsedate_to_datetime(message["date_created"]).utcoffset().total_seconds() == 0

    fetched = api.get(message["uri"])
    assert fetched.status_code == 200
    assert fetched.json()["sid"] == message["sid"]
    assert fetched.json()["status"] == "delivered"


def test_fetching_an_unknown_message_is_20404(api, settings):
    response = api.get(f"/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages/SM{'0' * 32}.json")
    assert response.status_code == 404
    assert response.json()["code"] == 20404


@pytest.mark.parametrize("auth", [None, ("AC" + "f" * 32, TOKEN), (SID, "wrong")])
def test_bad_credentials_are_401_20003(sandbox_server, settings, phone, auth):
    response = httpx.post(
        sandbox_server.base_url + _messages_path(settings), auth=auth, data={"To": phone, "From": "X", "Body": "Hi"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert response.headers["www-authenticate"].startswith("Basic")


def test_another_account_in_the_path_is_404_20404(api, phone):
    path = f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    response = api.post(path, data={"To": phone, "From": "X", "Body": "Hi"})
    assert response.status_code == 404
    assert response.json()["code"] == 20404


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "X", "Body": "Hi"}, 21604),
        ({"To": "03001234567", "From": "X", "Body": "Hi"}, 21211),  # national, not E.164
        ({"To": "+921234", "From": "X", "Body": "Hi"}, 21211),
        ({"To": "+923001234567", "From": "X"}, 21602),
        ({"To": "+923001234567", "From": "X", "Body": "   "}, 21602),
        ({"To": "+923001234567", "Body": "Hi"}, 21603),
        ({"To": "+923001234567", "From": "X", "Body": "x" * 1601}, 21617),
    ],
)
def test_invalid_requests_are_400_with_twilio_codes(api, settings, form, code):
    response = api.post(_messages_path(settings), data=form)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["status"] == 400


def test_invalid_to_message_names_the_number(api, settings):
    response = api.post(_messages_path(settings), data={"To": "+921234", "From": "X", "Body": "Hi"})
    assert response.json()["message"] == "The 'To' number +921234 is not a valid phone number."


def test_inbox_is_newest_first_and_filters_by_number_however_written(api, sandbox_server, settings, phone):
    other = "+923331234567"
    for to, body in [(phone, "first"), (other, "elsewhere"), (phone, "second")]:
        assert api.post(_messages_path(settings), data={"To": to, "From": "X", "Body": body}).status_code == 201

    national = "0" + phone[3:]  # +92301… → 0301…
    assert [m["body"] for m in sandbox_server.messages(phone)] == ["second", "first"]
    assert [m["body"] for m in sandbox_server.messages(national)] == ["second", "first"]
    assert [m["body"] for m in sandbox_server.messages()][:3] == ["second", "elsewhere", "first"]
    limited = httpx.get(f"{sandbox_server.base_url}/sms/messages", params={"to": phone, "limit": 1}).json()
    assert [m["body"] for m in limited["messages"]] == ["second"]


def test_page_shows_number_and_code_newest_first(api, sandbox_server, settings, phone):
    api.post(_messages_path(settings), data={"To": phone, "From": "X", "Body": "111111 is your old code."})
    api.post(_messages_path(settings), data={"To": phone, "From": "X", "Body": "654321 is your code. <b>Hi</b>"})

    page = httpx.get(f"{sandbox_server.base_url}/sms", params={"to": phone})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "width=device-width" in page.text
    assert '<strong class="code">654321</strong>' in page.text
    assert page.text.index("654321") < page.text.index("111111")
    assert phone in page.text
    assert "&lt;b&gt;Hi&lt;/b&gt;" in page.text and "<b>Hi</b>" not in page.text  # bodies are escaped
    assert "/sms" in httpx.get(f"{sandbox_server.base_url}/").text  # listed on the sandboxes index


def test_delete_empties_the_inbox(api, sandbox_server, settings, phone):
    api.post(_messages_path(settings), data={"To": phone, "From": "X", "Body": "Hi"})

    response = httpx.delete(f"{sandbox_server.base_url}/sms/messages")

    assert response.status_code == 200
    assert response.json()["deleted"] >= 1
    assert sandbox_server.messages() == []


def test_inbox_survives_a_restart_and_is_shared_between_processes(api, sandbox_server, settings, phone, tmp_path):
    """A second process on the same data directory sees what the first accepted, and the reverse."""
    import socket

    api.post(_messages_path(settings), data={"To": phone, "From": "X", "Body": "from the first"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "SANDBOX_DATA_DIR": str(sandbox_server.data_dir),
        "SANDBOX_SMS_ACCOUNT_SID": settings.SMS_ACCOUNT_SID,
        "SANDBOX_SMS_AUTH_TOKEN": settings.SMS_AUTH_TOKEN,
    }
    second = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sandboxes.app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and second.poll() is None, "second sandbox did not start"
                time.sleep(0.1)
        auth = (settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN)
        created = httpx.post(
            base + _messages_path(settings), auth=auth, data={"To": phone, "From": "X", "Body": "from the second"}
        )
        assert created.status_code == 201
        seen_by_second = httpx.get(f"{base}/sms/messages", params={"to": phone}).json()["messages"]
        assert [m["body"] for m in seen_by_second] == ["from the second", "from the first"]
        assert [m["body"] for m in sandbox_server.messages(phone)] == ["from the second", "from the first"]
    finally:
        second.terminate()
        second.wait(timeout=10)


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("آپ کا کوڈ" * 7 + "ab", 1),  # Urdu: UCS-2, 70 per part
        ("آپ کا کوڈ" * 8, 2),
    ],
)
def test_segments_follow_gsm_and_ucs2_sizes(body, segments):
    assert num_segments(body) == segments
