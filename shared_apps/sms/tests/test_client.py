"""The adapter against the real sandboxes process (Twilio's protocol) and against provider failures."""

from __future__ import annotations

import re
import socket

import pytest

from shared_apps.sms.client import SmsError, SmsRejected, SmsUnavailable, phone_masked, sms_send


def test_accepted_message_gives_a_parsed_receipt_and_lands_in_the_inbox(sms_settings, sandbox_server, phone):
    receipt = sms_send(to=phone, body="482913 is your Planckly code.")

    assert re.fullmatch(r"SM[0-9a-f]{32}", receipt.sid)
    assert receipt.status == "queued"
    assert receipt.to == phone
    assert receipt.sender == sms_settings.SMS_FROM
    assert receipt.num_segments == 1
    assert receipt.error_code is None
    assert receipt.date_created and receipt.date_created.endswith("+0000")
    [stored] = sandbox_server.messages(phone)
    assert stored["sid"] == receipt.sid
    assert stored["body"] == "482913 is your Planckly code."
    assert stored["from"] == sms_settings.SMS_FROM


def test_messaging_service_is_sent_instead_of_from(sms_settings, sandbox_server, phone):
    sms_settings.SMS_MESSAGING_SERVICE_SID = "MG" + "1" * 32

    receipt = sms_send(to=phone, body="hello")

    assert receipt.status == "accepted"
    assert receipt.sender is None  # the service picks the sender later
    [stored] = sandbox_server.messages(phone)
    assert stored["messaging_service_sid"] == "MG" + "1" * 32


def test_receipt_is_immutable(sms_settings, phone):
    receipt = sms_send(to=phone, body="hello")
    with pytest.raises(AttributeError):
        receipt.sid = "SMx"  # type: ignore[misc]


def test_wrong_auth_token_is_rejected_not_retried(sms_settings, sandbox_server, phone):
    sms_settings.SMS_AUTH_TOKEN = "not-the-token"

    with pytest.raises(SmsRejected) as caught:
        sms_send(to=phone, body="hello")

    assert (caught.value.status, caught.value.code, caught.value.message) == (401, 20003, "Authenticate")
    assert not isinstance(caught.value, SmsUnavailable)
    assert sandbox_server.messages(phone) == []


def test_invalid_to_is_rejected_with_the_provider_code(sms_settings, sandbox_server):
    with pytest.raises(SmsRejected) as caught:
        sms_send(to="+921234", body="hello")

    assert caught.value.status == 400
    assert caught.value.code == 21211
    assert "+921234" in caught.value.message
    assert caught.value.more_info == "https://www.twilio.com/docs/errors/21211"


def test_server_down_is_unavailable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once we leave the block: nothing listens there
    settings.SMS_API_BASE = f"http://127.0.0.1:{port}"

    with pytest.raises(SmsUnavailable):
        sms_send(to="+923001234567", body="hello")


@pytest.mark.parametrize("status", [500, 503, 429])
def test_provider_errors_and_rate_limits_are_unavailable(settings, fake_provider, status):
    settings.SMS_API_BASE = fake_provider.base_url
    fake_provider.reply.status = status

    with pytest.raises(SmsUnavailable, match=f"HTTP {status}"):
        sms_send(to="+923001234567", body="hello")


def test_timeout_is_unavailable(settings, fake_provider):
    settings.SMS_API_BASE = fake_provider.base_url
    settings.SMS_TIMEOUT_SECONDS = 0.2
    fake_provider.reply.status, fake_provider.reply.delay = 201, 1.0

    with pytest.raises(SmsUnavailable):
        sms_send(to="+923001234567", body="hello")


def test_rejection_without_json_keeps_the_status(settings, fake_provider):
    settings.SMS_API_BASE = fake_provider.base_url
    fake_provider.reply.status, fake_provider.reply.body = 403, b"Forbidden by proxy"
    fake_provider.reply.content_type = "text/plain"

    with pytest.raises(SmsRejected) as caught:
        sms_send(to="+923001234567", body="hello")

    assert (caught.value.status, caught.value.code, caught.value.message) == (403, None, "Forbidden by proxy")


def test_accepted_but_unreadable_reply_is_neither_rejected_nor_unavailable(settings, fake_provider):
    settings.SMS_API_BASE = fake_provider.base_url
    fake_provider.reply.status, fake_provider.reply.body = 201, b"<html>ok</html>"

    with pytest.raises(SmsError) as caught:
        sms_send(to="+923001234567", body="hello")

    assert type(caught.value) is SmsError  # may already be sent: the task must not retry it


def test_phone_masked_hides_the_middle():
    assert phone_masked("+923001234567") == "+9230******67"
    assert phone_masked("123") == "***"
