"""A self-serve merchant: provisioned pending (console open, customers see nothing), goes live at once or waits for
an operator, who approves it or sends it back with a reason. Each step tells the marketplace and the owner after
commit, by task name."""

from unittest import mock

import pytest
from django.test import override_settings

from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Merchant, MerchantStatus, OnboardingPolicy
from tenants.selectors import merchants_listed, onboarding_approval_required
from tenants.services import (
    LISTINGS_REBUILD_TASK,
    SMS_TASK,
    merchant_approve,
    merchant_go_live,
    merchant_reject,
    slug_candidates,
    slug_free_for,
    slug_validate,
)


@pytest.fixture
def sent():
    """Tasks sent by name, as (name, kwargs), once their transaction committed."""
    with mock.patch("tenants.services.task_send") as task_send:
        calls: list[tuple[str, dict]] = []
        task_send.side_effect = lambda name, **kwargs: calls.append((name, kwargs))
        yield calls


@pytest.fixture
def pending(make_merchant):
    return make_merchant(slug="corner-kiryana", name="Corner Kiryana", owner_phone="+923001110001", pending=True)


def test_a_signed_up_merchant_starts_pending_with_its_console_open(pending, host_client):
    assert pending.status == MerchantStatus.PENDING
    assert pending not in merchants_listed()
    response = host_client("corner-kiryana.localhost").get("/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")  # not the closed page


@override_settings(MERCHANT_APPROVAL_REQUIRED=False)
def test_go_live_without_approval_is_live_at_once_and_tells_marketplace_and_owner(
    pending, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        merchant = merchant_go_live(merchant=pending, by=pending.owner)
    assert merchant.status == MerchantStatus.ACTIVE and merchant.went_live_at is not None
    assert merchant.status_changed_by == pending.owner
    assert merchant in merchants_listed()
    names = [name for name, _ in sent]
    assert names == [LISTINGS_REBUILD_TASK, SMS_TASK]
    assert sent[0][1] == {"schema": pending.schema_name}
    assert sent[1][1]["to"] == "+923001110001" and "is live on Planckly" in sent[1][1]["body"]
    assert "corner-kiryana.localhost" in sent[1][1]["body"]


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_go_live_with_approval_waits_and_tells_nobody_yet(pending, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        merchant = merchant_go_live(merchant=pending, by=pending.owner)
    assert merchant.status == MerchantStatus.AWAITING_APPROVAL and merchant.review_requested_at is not None
    assert merchant not in merchants_listed()
    assert sent == []


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_go_live_twice_changes_nothing_the_second_time(pending, sent):
    first = merchant_go_live(merchant=pending, by=pending.owner)
    again = merchant_go_live(merchant=pending, by=pending.owner)
    assert again.status == MerchantStatus.AWAITING_APPROVAL
    assert again.review_requested_at == first.review_requested_at


def test_the_admin_policy_row_overrides_the_environment_setting(db):
    with override_settings(MERCHANT_APPROVAL_REQUIRED=True):
        assert onboarding_approval_required() is True
        OnboardingPolicy.objects.create(pk=1, approval_required=False)
        assert onboarding_approval_required() is False


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_approve_makes_a_waiting_merchant_live(pending, platform_admin, sent, django_capture_on_commit_callbacks):
    merchant_go_live(merchant=pending, by=pending.owner)
    with django_capture_on_commit_callbacks(execute=True):
        merchant = merchant_approve(merchant=pending, by=platform_admin)
    assert merchant.status == MerchantStatus.ACTIVE and merchant.status_changed_by == platform_admin
    assert [name for name, _ in sent] == [LISTINGS_REBUILD_TASK, SMS_TASK]
    with pytest.raises(TenantsError) as twice:
        merchant_approve(merchant=pending, by=platform_admin)
    assert twice.value.code == TenantsErrorCode.STATE_INVALID


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_reject_sends_the_merchant_back_with_the_reason(
    pending, platform_admin, sent, django_capture_on_commit_callbacks
):
    merchant_go_live(merchant=pending, by=pending.owner)
    with django_capture_on_commit_callbacks(execute=True):
        merchant = merchant_reject(merchant=pending, by=platform_admin, reason="  Add your shop's phone number.  ")
    assert merchant.status == MerchantStatus.PENDING
    assert merchant.rejection_reason == "Add your shop's phone number."
    assert [name for name, _ in sent] == [SMS_TASK] and "Add your shop's phone number." in sent[0][1]["body"]
    resubmitted = merchant_go_live(merchant=pending, by=pending.owner)
    assert resubmitted.status == MerchantStatus.AWAITING_APPROVAL
    approved = merchant_approve(merchant=pending, by=platform_admin)
    assert approved.rejection_reason == ""  # the old reason is not shown to a live merchant


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
@pytest.mark.parametrize("reason", ["", "  ", "x" * 501])
def test_reject_without_a_usable_reason_changes_nothing(pending, platform_admin, reason):
    merchant_go_live(merchant=pending, by=pending.owner)
    with pytest.raises(TenantsError) as caught:
        merchant_reject(merchant=pending, by=platform_admin, reason=reason)
    assert caught.value.code == TenantsErrorCode.REASON_INVALID and caught.value.field == "reason"
    assert Merchant.objects.get(pk=pending.pk).status == MerchantStatus.AWAITING_APPROVAL


def test_approve_or_reject_a_merchant_that_is_not_waiting_is_refused(pending, platform_admin):
    for call in (
        lambda: merchant_approve(merchant=pending, by=platform_admin),
        lambda: merchant_reject(merchant=pending, by=platform_admin, reason="Not yet"),
    ):
        with pytest.raises(TenantsError) as caught:
            call()
        assert caught.value.code == TenantsErrorCode.STATE_INVALID
    assert Merchant.objects.get(pk=pending.pk).status == MerchantStatus.PENDING


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Ali's Kiryana Store", "alis-kiryana-store"),
        ("کریانہ سٹور", "my-shop"),
        ("7 Eleven", "shop-7-eleven"),
        ("Admin", "admin-shop"),
        ("Al  --  Noor__Bakers", "al-noor-bakers"),
        ("x" * 90, "x" * 36),
    ],
)
def test_slugs_from_business_names_are_valid_hosts(name, first):
    candidates = slug_candidates(name)
    assert candidates[0] == first
    assert all(slug_validate(slug) for slug in candidates)


def test_a_taken_slug_gets_the_next_number(make_merchant):
    make_merchant(slug="noor-bakers")
    make_merchant(slug="noor-bakers-2")
    assert slug_free_for("Noor Bakers") == "noor-bakers-3"
