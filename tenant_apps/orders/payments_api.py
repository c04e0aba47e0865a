"""Console API for the merchant's money: /api/v1/console/payments/shares (its share of each paid order),
/api/v1/console/payments/settlements (per day), and POST /api/v1/console/orders/{order_id}/refund (money back out of
its own part of an order). Scoped like the orders: Merchant every branch, Shop Owner its store's, Branch Manager its
branch; Employees never (403). Out of scope is 404. Rows come from the payments ledger of this merchant only.

Payouts are not executed yet: a settlement's `net` is what the platform owes the merchant for that day, not a
transfer that happened."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kernel.inputs import Money
from shared_apps.accounts.auth import user_auth
from shared_apps.payments.services import refundable
from tenant_apps.orders.refunds import merchant_order_refund
from tenant_apps.orders.settlements import merchant_settlements, merchant_shares, scope_branch_ids
from tenant_apps.staff.access import access_branch_by_id, access_console, access_console_membership, access_order_by_id
from tenant_apps.staff.models import Membership
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["payments"])


class ShareOut(Schema):
    id: int = Field(description="The customer-order part (the payment's part has the same id).")
    number: str = Field(description="The merchant order's number (= the customer-order part's).")
    merchant_order_id: int
    branch_id: int
    branch_name: str
    order_date: datetime
    status: str
    currency: str
    total: Decimal = Field(description="The part's total as ordered.")
    share: Decimal = Field(description="The merchant's share when it was paid (total less commission).")
    commission: Decimal = Field(description="The platform's commission, net of refunds.")
    refunded: Decimal = Field(description="Given back to the customer out of this part.")
    net: Decimal = Field(description="What the platform owes the merchant for it now.")


class SettlementOut(Schema):
    day: date = Field(description="Local calendar day (Asia/Karachi) the ledger recorded the money.")
    gross: Decimal = Field(description="Paid for the merchant's orders that day (shares + commission).")
    commission: Decimal
    refunded: Decimal
    net: Decimal = Field(description="Payable to the merchant: gross - commission - refunded. Not paid out yet.")
    paid_out: bool = Field(False, description="Always false: payouts are not executed yet.")


class RefundIn(Schema):
    amount: Money = Field(description='Up to what is left of this merchant\'s part, e.g. "120.00".')
    reason: str = Field(max_length=255, description="Why; kept with the refund.")


class RefundOut(Schema):
    id: int
    reference: str
    amount: Decimal
    currency: str
    status: str
    reason: str
    refundable: Decimal = Field(description="What is left to refund of this order's part after this one.")
    created_at: datetime


def _scope(request: HttpRequest, branch_id: int | None) -> tuple[Membership, list[int]]:
    actor = access_console(user=request.user, perm=Perm.PAYMENTS_VIEW)
    if branch_id is not None:
        access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.PAYMENTS_VIEW)
    return actor, scope_branch_ids(actor, branch_id)


@router.get("/payments/shares", response=list[ShareOut])
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def shares_list(
    request: HttpRequest, branch_id: int | None = None, date_from: date | None = None, date_to: date | None = None
):
    """This merchant's share of each paid order in the caller's scope, newest first, paginated (`?limit=&offset=`).
    `date_from`/`date_to` (inclusive, local days) filter on the order's date; a `branch_id` outside the scope is 404."""
    _, branch_ids = _scope(request, branch_id)
    return merchant_shares(merchant_id=request.tenant.pk, branch_ids=branch_ids, date_from=date_from, date_to=date_to)


@router.get("/payments/settlements", response=list[SettlementOut])
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def settlements_list(
    request: HttpRequest, branch_id: int | None = None, date_from: date | None = None, date_to: date | None = None
):
    """Per local day (Asia/Karachi), newest first: gross shares, commission, refunded and the net payable, from this
    merchant's ledger rows in the caller's scope. Payouts are not executed yet (`paid_out` is always false)."""
    _, branch_ids = _scope(request, branch_id)
    return merchant_settlements(
        merchant_id=request.tenant.pk, branch_ids=branch_ids, date_from=date_from, date_to=date_to
    )


@router.post("/orders/{order_id}/refund", response={201: RefundOut})
def order_refund(request: HttpRequest, order_id: int, payload: RefundIn):
    """Give `amount` back to the customer out of this order's part (partial or all of what is left), through the
    gateway that took it (cash: recorded as handed back) and the ledger. Merchant, Shop Owner and Branch Manager in
    their scope; Employees 403; out of scope 404. Errors: 400 refund_amount_invalid / reason_required,
    409 refund_too_large (with `refundable`) / refund_nothing_captured, 502 refund_rejected, 503 refund_pending
    (recorded, not to be redone)."""
    actor = access_console_membership(user=request.user)
    order = access_order_by_id(actor=actor, order_id=order_id, perm=Perm.PAYMENTS_REFUND)
    refund = merchant_order_refund(
        merchant_id=request.tenant.pk, order=order, actor=actor, amount=payload.amount, reason=payload.reason
    )
    refund.refundable = refundable(refund.intent, refund.part)
    return Status(201, refund)
