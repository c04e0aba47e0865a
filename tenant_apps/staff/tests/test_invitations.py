"""Inviting someone from the console: the form starts on the lowest role the inviter may grant, the invitee gets an
SMS with the link once the invitation is committed, it can be sent again (not too often) or withdrawn, and members
are removed by someone at or above their rank — never by themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.sms.testing import sms_kicks_recorded
from tenant_apps.staff import services
from tenant_apps.staff.errors import StaffError, StaffErrorCode
from tenant_apps.staff.models import AuditEntry, Invitation, InvitationStatus, Membership
from tenant_apps.staff.roles import Role, role_lowest_grantable
from tests.access_world import World, build_world
from tests.console_clients import console_page_client


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


@pytest.fixture
def texts(monkeypatch) -> list[tuple[str, str]]:
    return sms_kicks_recorded(monkeypatch)


@pytest.mark.parametrize(
    ("giver", "lowest"),
    [(Role.MERCHANT, Role.EMPLOYEE), (Role.SHOP_OWNER, Role.EMPLOYEE), (Role.EMPLOYEE, Role.EMPLOYEE)],
)
def test_the_lowest_role_a_giver_may_grant(giver, lowest):
    assert role_lowest_grantable(giver_role=giver) == lowest


def test_the_form_starts_on_employee_and_names_duties_in_words(world):
    page = console_page_client(world.t, world.users["shop_owner"]).get("/staff/").content.decode()
    assert "x-data=\"{ role: 'employee' }\"" in page
    assert '<option value="employee" selected>Employee</option>' in page
    assert "Process orders" in page and "Update stock" in page and "> process_orders<" not in page


def test_an_invitation_texts_the_link_after_commit(world, texts, django_capture_on_commit_callbacks):
    client = console_page_client(world.t, world.users["merchant"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invite/",
            {"phone": "0300 5550101", "role": "employee", "branch_id": world.ids["B1a"], "duties": ["process_orders"]},
        )
    assert response.status_code == 302
    assert len(texts) == 1
    to, body = texts[0]
    assert to == "+923005550101"
    assert "Matrix T" in body and "employee" in body and "http://matrix-t.localhost/invitations/" in body
    with schema_context(world.t.schema_name):
        invitation = Invitation.objects.get(phone=to)
    assert invitation.sends == 1 and invitation.sent_at is not None


def test_a_refused_invitation_sends_nothing_and_keeps_what_was_typed(world, texts, django_capture_on_commit_callbacks):
    client = console_page_client(world.t, world.users["shop_owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invite/", {"phone": "0300 5550102", "role": "employee", "duties": ["update_stock"]}
        )
    assert response.status_code == 400 and texts == []
    page = response.content.decode()
    assert 'value="0300 5550102"' in page and 'value="update_stock" checked' in page


def test_resend_is_rate_limited_and_capped(world, texts, django_capture_on_commit_callbacks):
    with schema_context(world.t.schema_name):
        merchant = Membership.objects.get(pk=world.ids["M_merchant"])
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(
                actor=merchant, phone="+923005550103", role=Role.EMPLOYEE, branch_id=world.ids["B1a"], link="L"
            )
        with pytest.raises(StaffError) as soon:
            services.invitation_resend(actor=merchant, invitation=invitation, merchant_name="M", link="L")
        assert soon.value.code == StaffErrorCode.RESEND_TOO_SOON and soon.value.status == 429
        for _ in range(services.INVITATION_SENDS_MAX - 1):
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(minutes=3))
            with django_capture_on_commit_callbacks(execute=True):
                services.invitation_resend(actor=merchant, invitation=invitation, merchant_name="M", link="L")
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(minutes=3))
        with pytest.raises(StaffError) as capped:
            services.invitation_resend(actor=merchant, invitation=invitation, merchant_name="M", link="L")
        assert capped.value.code == StaffErrorCode.RESEND_LIMIT
        resent = AuditEntry.objects.filter(action="staff.invitation_resent").count()
    assert len(texts) == services.INVITATION_SENDS_MAX and resent == services.INVITATION_SENDS_MAX - 1


def test_revoke_from_the_staff_page(world):
    client = console_page_client(world.t, world.users["shop_owner"])
    response = client.post(f"/staff/invitations/{world.ids['INV_B1a']}/revoke/")
    assert response.status_code == 302
    with schema_context(world.t.schema_name):
        assert Invitation.objects.get(pk=world.ids["INV_B1a"]).status == InvitationStatus.REVOKED
    again = client.post(f"/staff/invitations/{world.ids['INV_B1a']}/revoke/", follow=True)
    assert "already accepted, revoked or has expired" in again.content.decode()


def test_remove_is_offered_only_where_it_is_allowed(world):
    page = console_page_client(world.t, world.users["shop_owner"]).get("/staff/").content.decode()
    assert f'action="/staff/{world.ids["M_employee"]}/remove/"' in page
    assert f'action="/staff/{world.ids["M_shop_owner"]}/remove/"' not in page  # not yourself


def test_removing_yourself_or_someone_above_is_refused(world):
    with schema_context(world.t.schema_name):
        owner = Membership.objects.get(pk=world.ids["M_shop_owner"])
        merchant = Membership.objects.get(pk=world.ids["M_merchant"])
        for target, code in ((owner, StaffErrorCode.REMOVE_YOURSELF), (merchant, StaffErrorCode.ROLE_ABOVE_YOURS)):
            with pytest.raises(StaffError) as caught:
                services.membership_deactivate(actor=owner, target=target)
            assert caught.value.code == code
        employee = Membership.objects.get(pk=world.ids["M_employee"])
        services.membership_deactivate(actor=owner, target=employee)
        with pytest.raises(StaffError) as twice:
            services.membership_deactivate(actor=owner, target=employee)
        assert twice.value.code == StaffErrorCode.ALREADY_REMOVED
