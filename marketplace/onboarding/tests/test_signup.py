"""/sell/: phone → code → shop → a pending merchant whose owner lands signed in on its console. Every page keeps
what was typed when something is wrong and says what; the handoff link works once, on its own host only."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import signing
from django_tenants.utils import schema_context

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.handoff import handoff_token_issue, handoff_token_redeem
from shared_apps.categories.models import Category
from tenant_apps.staff.models import Membership
from tenant_apps.stores.models import Store
from tenants.models import Merchant, MerchantStatus

PHONE = "+923331234567"
SHOP = {"business_name": "Noor Kiryana", "category": "grocery", "area": "gulberg iii", "owner_name": "Noor Ahmed"}


@pytest.fixture
def texts():
    """SMS bodies by recipient, as queued on commit (the OTP and the welcome message)."""
    inbox: dict[str, list[str]] = {}

    def record(*, to: str, body: str) -> None:
        inbox.setdefault(to, []).append(body)

    with (
        mock.patch("shared_apps.accounts.services.sms_send_on_commit", side_effect=record),
        mock.patch("marketplace.onboarding.services.sms_send_on_commit", side_effect=record),
    ):
        yield inbox


@pytest.fixture
def categories(db):
    grocery = Category.objects.create(slug="grocery", name="Grocery", position=1)
    Category.objects.create(slug="pharmacy", name="Pharmacy", position=2)
    Category.objects.create(slug="rice", name="Rice", parent=grocery)  # not a root: not a shop's category
    return grocery


@pytest.fixture
def market(host_client):
    return host_client("localhost")


def _code(texts, phone: str = PHONE) -> str:
    return re.search(r"\b(\d{6})\b", texts[phone][-1]).group(1)


def _confirmed(market, texts, phone: str = PHONE):
    assert market.post("/sell/", {"phone": phone}).status_code == 302
    response = market.post("/sell/verify/", {"code": _code(texts, phone)})
    assert response.status_code == 302 and response["Location"] == "/sell/shop/"
    return market


def test_the_marketplace_home_links_to_sell_on_planckly(market, db):
    html = market.get("/").content.decode()
    assert html.count('href="/sell/"') >= 2  # the home's call to action and the footer
    assert "Sell on Planckly" in html


def test_a_shopkeeper_signs_up_and_lands_signed_in_on_a_pending_console(
    market, texts, categories, host_client, django_capture_on_commit_callbacks
):
    page = market.get("/sell/")
    assert page.status_code == 200 and "Sell on Planckly" in page.content.decode()
    _confirmed(market, texts)
    shop_page = market.get("/sell/shop/")
    assert "Grocery" in shop_page.content.decode() and "Rice" not in shop_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = market.post("/sell/shop/", SHOP)
    assert response.status_code == 302
    merchant = Merchant.objects.get(slug="noor-kiryana")
    assert (merchant.status, merchant.area, merchant.category_id) == (
        MerchantStatus.PENDING,
        "Gulberg III",
        categories.pk,
    )
    assert merchant.owner.phone == PHONE and merchant.owner.name == "Noor Ahmed"
    with schema_context(merchant.schema_name):
        assert Membership.objects.get(user=merchant.owner).role == "merchant"
        assert list(Store.objects.values_list("name", flat=True)) == ["Noor Kiryana"]
    welcome = texts[PHONE][-1]
    assert "Welcome to Planckly, Noor Ahmed" in welcome and "http://noor-kiryana.localhost/" in welcome

    location = response["Location"]
    assert location.startswith("http://noor-kiryana.localhost/console-signin/")
    console = host_client("noor-kiryana.localhost")
    landed = console.get(location.removeprefix("http://noor-kiryana.localhost"))
    assert landed.status_code == 302 and landed["Location"] == "/"
    dashboard = console.get("/").content.decode()
    assert "Get your shop live" in dashboard and "Your shop is not live yet — finish the checklist" in dashboard


def test_the_same_link_never_signs_in_twice(market, texts, categories, host_client):
    _confirmed(market, texts)
    path = "/" + market.post("/sell/shop/", SHOP)["Location"].split("/", 3)[3]
    assert host_client("noor-kiryana.localhost").get(path).status_code == 302
    replay = host_client("noor-kiryana.localhost").get(path)
    assert replay.status_code == 400 and "cannot be used" in replay.content.decode()
    assert "_auth_user_id" not in replay.wsgi_request.session


def test_a_link_for_one_merchant_opens_no_other(market, texts, categories, host_client, make_merchant):
    make_merchant(slug="other-shop", owner_phone="+923339999999")
    _confirmed(market, texts)
    path = "/" + market.post("/sell/shop/", SHOP)["Location"].split("/", 3)[3]
    elsewhere = host_client("other-shop.localhost").get(path)
    assert elsewhere.status_code == 400
    assert host_client("noor-kiryana.localhost").get(path).status_code == 302  # not spent by the wrong host


def test_handoff_tokens_expire_and_cannot_be_altered(django_user_model, db):
    user = django_user_model.objects.create_user(phone="+923330000001")
    token = handoff_token_issue(user=user, host="a-shop.localhost")
    for bad in (token[:-2] + "xx", signing.dumps({"u": user.pk, "h": "a-shop.localhost", "n": "n"})):
        with pytest.raises(AccountsError) as caught:
            handoff_token_redeem(token=bad, host="a-shop.localhost")
        assert caught.value.code == AccountsErrorCode.TOKEN_INVALID
    with mock.patch("shared_apps.accounts.handoff.HANDOFF_TTL_SECONDS", -1), pytest.raises(AccountsError) as expired:
        handoff_token_redeem(token=token, host="a-shop.localhost")
    assert expired.value.code == AccountsErrorCode.TOKEN_EXPIRED
    assert handoff_token_redeem(token=token, host="A-SHOP.localhost") == user


def test_a_bad_phone_keeps_what_was_typed_and_says_why(market, texts, db):
    response = market.post("/sell/", {"phone": "03-nope"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="03-nope"' in html and "Enter a valid phone number" in html
    empty = market.post("/sell/", {"phone": ""})
    assert empty.status_code == 400 and "Enter your mobile number" in empty.content.decode()


def test_a_wrong_code_says_so_and_the_phone_is_kept(market, texts, db):
    market.post("/sell/", {"phone": "0333 1234567"})
    code = _code(texts)
    wrong = market.post("/sell/verify/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert PHONE in wrong.content.decode()
    short = market.post("/sell/verify/", {"code": "12"})
    assert short.status_code == 400 and "6 digits" in short.content.decode()
    assert market.post("/sell/verify/", {"code": code}).status_code == 302


def test_every_bad_shop_field_is_named_and_nothing_typed_is_lost(market, texts, categories):
    _confirmed(market, texts)
    typed = {"business_name": "N", "category": "rice", "area": "Defence Road Extension", "owner_name": ""}
    response = market.post("/sell/shop/", typed)
    html = response.content.decode()
    assert response.status_code == 400
    for message in (
        "Give your shop a name of 2-120 characters.",
        "Choose what your shop sells.",
        "Write your name (2-80 characters).",
    ):
        assert message in html
    assert 'value="N"' in html and 'value="Defence Road Extension"' in html
    assert not Merchant.objects.filter(owner__phone=PHONE).exists()


def test_submitting_the_same_shop_twice_makes_one(market, texts, categories):
    _confirmed(market, texts)
    assert market.post("/sell/shop/", SHOP).status_code == 302
    again = market.post("/sell/shop/", SHOP)
    assert again.status_code == 409 and "You already have a shop with this name" in again.content.decode()
    assert Merchant.objects.filter(owner__phone=PHONE).count() == 1


def test_a_taken_name_gets_a_numbered_address(market, texts, categories, make_merchant):
    make_merchant(slug="noor-kiryana")
    _confirmed(market, texts)
    assert market.post("/sell/shop/", SHOP)["Location"].startswith("http://noor-kiryana-2.localhost/")


def test_the_shop_page_needs_a_confirmed_phone(market, categories):
    assert market.get("/sell/shop/")["Location"] == "/sell/"
    assert market.post("/sell/shop/", SHOP)["Location"] == "/sell/"
    assert market.get("/sell/verify/")["Location"] == "/sell/"
    assert not Merchant.objects.filter(name="Noor Kiryana").exists()


def test_the_code_step_has_the_sign_in_rate_limits(market, texts, db, settings):
    settings.OTP_REQUEST_LIMIT_PER_PHONE = (1, 3600)
    assert market.post("/sell/", {"phone": PHONE}).status_code == 302
    again = market.post("/sell/", {"phone": PHONE})
    assert again.status_code == 429 and "Try again in" in again.content.decode()
    assert f'value="{PHONE}"' in again.content.decode()
