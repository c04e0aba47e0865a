"""Invitations, acceptance, role changes and their audit trail; the rules that keep everyone inside their scope."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.services import user_get_or_create_by_phone
from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.staff import services
from tenant_apps.staff.errors import StaffError, StaffErrorCode
from tenant_apps.staff.models import AuditEntry, Invitation, Membership, Role
from tests.access_world import build_world


@pytest.fixture
def world(make_merchant):
    return build_world(make_merchant)


def _actor(world, key):
    return Membership.objects.select_related("store", "branch").get(pk=world.ids[f"M_{key}"])


def _api(world, user, merchant=None):
    merchant = merchant or world.t
    token = token_pair_issue(user=user).access
    return Client(HTTP_HOST=f"{merchant.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_merchant_invites_and_invitee_accepts_after_sign_in(world):
    api = _api(world, world.users["merchant"])
    created = api.post(
        "/api/v1/console/invitations",
        {"phone": "0300 9876543", "role": "branch_manager", "branch_id": world.ids["B1b"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    invitation_id = created.json()["id"]
    invitee = user_get_or_create_by_phone(phone="+923009876543")  # signs in by OTP: same phone, same user
    invitee_api = _api(world, invitee)
    assert invitee_api.get("/api/v1/console/summary").status_code == 404  # not a member yet
    assert [i["id"] for i in invitee_api.get("/api/v1/console/invitations/mine").json()] == [invitation_id]
    accepted = invitee_api.post(f"/api/v1/console/invitations/{invitation_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["role"] == "branch_manager"
    assert invitee_api.get("/api/v1/console/summary").json()["branches"] == 1
    assert invitee_api.post(f"/api/v1/console/invitations/{invitation_id}/accept").status_code == 409
    with schema_context(world.t.schema_name):
        actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["staff.invited", "staff.joined"]


def test_someone_elses_invitation_is_404(world):
    stranger_api = _api(world, world.stranger)
    response = stranger_api.post(f"/api/v1/console/invitations/{world.ids['INV_B1a']}/accept")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("inviter", "role", "scope", "code"),
    [
        ("shop_owner", "merchant", {}, StaffErrorCode.ROLE_ABOVE_YOURS),
        ("shop_owner", "shop_owner", {"store_id": "S2"}, StaffErrorCode.OUTSIDE_SCOPE),
        ("shop_owner", "employee", {"branch_id": "B2a"}, StaffErrorCode.OUTSIDE_SCOPE),
        ("merchant", "employee", {}, StaffErrorCode.SCOPE_INVALID),
        ("merchant", "shop_owner", {"branch_id": "B1a"}, StaffErrorCode.SCOPE_INVALID),
        ("merchant", "employee", {"branch_id": "B1a", "duties": ["fly"]}, StaffErrorCode.DUTY_INVALID),
    ],
)
def test_invitations_never_reach_above_or_outside(world, inviter, role, scope, code):
    with schema_context(world.t.schema_name):
        kwargs = {k: (world.ids[v] if k != "duties" else v) for k, v in scope.items()}
        with pytest.raises(StaffError) as caught:
            services.invitation_create(actor=_actor(world, inviter), phone="+923005550000", role=role, **kwargs)
        assert caught.value.code == code
        assert not Invitation.objects.filter(phone="+923005550000").exists()


def test_branch_manager_and_employee_cannot_invite(world):
    for key in ("branch_manager", "employee"):
        response = _api(world, world.users[key]).post(
            "/api/v1/console/invitations",
            {"phone": "+923005550001", "role": "employee", "branch_id": world.ids["B1a"]},
            content_type="application/json",
        )
        assert response.status_code == 403, key


def test_existing_member_and_duplicate_invitation_are_conflicts(world):
    with schema_context(world.t.schema_name):
        merchant = _actor(world, "merchant")
        b1a, b1b = world.ids["B1a"], world.ids["B1b"]
        with pytest.raises(StaffError) as member:
            services.invitation_create(actor=merchant, phone="+923009000013", role="employee", branch_id=b1a)
        assert member.value.code == StaffErrorCode.ALREADY_MEMBER
        services.invitation_create(actor=merchant, phone="+923005550002", role="employee", branch_id=b1a)
        with pytest.raises(StaffError) as twice:
            services.invitation_create(actor=merchant, phone="+923005550002", role="employee", branch_id=b1b)
        assert twice.value.code == StaffErrorCode.INVITATION_PENDING


def test_role_change_is_scoped_and_audited(world):
    api = _api(world, world.users["shop_owner"])
    target = world.ids["M_emp_b1b"]
    response = api.patch(
        f"/api/v1/console/staff/{target}",
        {"role": "branch_manager", "branch_id": world.ids["B1b"]},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["role"] == "branch_manager"
    promote_above = api.patch(f"/api/v1/console/staff/{target}", {"role": "merchant"}, content_type="application/json")
    assert promote_above.status_code == 403 and promote_above.json()["code"] == "role_above_yours"
    with schema_context(world.t.schema_name):
        entry = AuditEntry.objects.get(action="staff.changed")
    assert entry.actor_id == world.users["shop_owner"].pk
    assert entry.data["before"]["role"] == "employee" and entry.data["after"]["role"] == "branch_manager"


def test_the_last_merchant_cannot_step_down(world):
    with schema_context(world.t.schema_name):
        merchant = _actor(world, "merchant")
        with pytest.raises(StaffError) as caught:
            services.membership_change(actor=merchant, target=merchant, role="shop_owner", store_id=world.ids["S1"])
        assert caught.value.code == StaffErrorCode.LAST_MERCHANT


def test_nobody_removes_themselves(world):
    with schema_context(world.t.schema_name):
        for key in ("merchant", "shop_owner"):
            actor = _actor(world, key)
            with pytest.raises(StaffError) as caught:
                services.membership_deactivate(actor=actor, target=actor)
            assert caught.value.code == StaffErrorCode.REMOVE_YOURSELF
            assert Membership.objects.get(pk=actor.pk).is_active


def test_a_token_for_tenant_a_staff_is_a_stranger_on_tenant_b(world):
    api_on_u = _api(world, world.users["merchant"], merchant=world.u)
    assert api_on_u.get("/api/v1/console/summary").status_code == 404
    assert api_on_u.get(f"/api/v1/console/branches/{world.u_ids['B1a']}").status_code == 404


def test_memberships_in_two_tenants_each_seen_on_its_own_host(world):
    with schema_context(world.u.schema_name):
        Membership.objects.create(user=world.users["shop_owner"], role=Role.MERCHANT)
    on_t = _api(world, world.users["shop_owner"]).get("/api/v1/console/me").json()
    on_u = _api(world, world.users["shop_owner"], merchant=world.u).get("/api/v1/console/me").json()
    assert (on_t["merchant"], on_t["membership"]["role"]) == ("Matrix T", "shop_owner")
    assert (on_u["merchant"], on_u["membership"]["role"]) == ("Matrix U", "merchant")


def test_forms_are_csrf_protected(world):
    client = Client(HTTP_HOST=f"{world.t.slug}.localhost", enforce_csrf_checks=True)
    client.force_login(world.users["merchant"])
    response = client.post("/staff/invite/", {"phone": "+923005550003", "role": "employee"})
    assert response.status_code == 403
    assert Client(HTTP_HOST="localhost", enforce_csrf_checks=True).post("/signin/", {"phone": "x"}).status_code == 403


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return len([q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")])


def test_staff_list_query_count_does_not_grow_with_staff(world, host_cache_held):
    api = _api(world, world.users["merchant"])
    api.get("/api/v1/console/staff")  # the host lookup is cached per process after the first request
    before = _queries(lambda: api.get("/api/v1/console/staff"))
    with schema_context(world.t.schema_name):
        for i in range(5):
            user = user_get_or_create_by_phone(phone=f"+92300800{i:04d}")
            Membership.objects.create(user=user, role=Role.EMPLOYEE, branch_id=world.ids["B2a"])
    assert len(api.get("/api/v1/console/staff").json()) == 11
    after = _queries(lambda: api.get("/api/v1/console/staff"))
    assert after == before <= 4  # user, membership, staff page, users in bulk
