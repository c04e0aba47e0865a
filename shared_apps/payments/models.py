"""Payments (public schema). One PaymentIntent per customer order: what is owed and whether it has been paid.
Gateways (Foree Pay, JazzCash) add attempts on top of it; cash on delivery is captured at hand-over."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from kernel.money import money


class PaymentMethod(models.TextChoices):
    COD = "cod", "Cash on delivery"
    FOREE = "foree", "Foree Pay"
    JAZZCASH = "jazzcash", "JazzCash"


class IntentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", "Requires payment"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class PaymentIntent(models.Model):
    """A customer order's payment ("transaction" to operators)."""

    customer_order = models.OneToOneField(
        "customer_orders.CustomerOrder", on_delete=models.PROTECT, related_name="payment"
    )
    method = models.CharField(max_length=12, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    status = models.CharField(max_length=20, choices=IntentStatus.choices, default=IntentStatus.REQUIRES_PAYMENT)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Unpaid after this: stock is released.")
    last_error = models.CharField(
        max_length=255, blank=True, help_text="Why the last attempt failed, for the customer."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "transaction"
        indexes = [models.Index(fields=["status", "expires_at"], name="payment_intent_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, captured_amount__gte=0, refunded_amount__gte=0),
                name="payment_intent_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.customer_order.number}: {self.get_method_display()} {money(self.amount, self.currency)}"


class PaymentPart(models.Model):
    """One merchant's part of the intent's order, as payments needs it: whose money it is (merchant, branch), how much
    (total) and which merchant order it pays for. Recorded with the intent by checkout, so that capturing, allocating
    and refunding never read the marketplace's order. Its id is the customer-order part's: one part, one id on both
    floors (refund allocations, ledger keys and the console's shares name it)."""

    id = models.BigIntegerField(primary_key=True, help_text="The customer-order part's id.")
    intent = models.ForeignKey(PaymentIntent, on_delete=models.CASCADE, related_name="parts")
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, related_name="+")
    merchant_order_id = models.BigIntegerField(help_text="The MerchantOrder it pays for, in the merchant's schema.")
    number = models.CharField(max_length=24, unique=True, help_text="The merchant order's (globally unique) number.")
    branch_id = models.BigIntegerField()
    store_name = models.CharField(max_length=120)
    branch_name = models.CharField(max_length=120)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "merchant_order_id"], name="payment_part_source"),
        ]

    def __str__(self) -> str:
        return self.number


class AttemptStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"  # sent to the provider: the customer may be paying right now
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class PaymentAttempt(models.Model):
    """One try at paying an intent through one gateway. A retry is a new attempt on the same intent; at most one
    attempt's money is kept (a second success is refunded automatically)."""

    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="attempts")
    gateway = models.CharField(max_length=12, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=20, unique=True, help_text="Ours: JazzCash pp_TxnRefNo, Foree crn.")
    provider_reference = models.CharField(max_length=64, blank=True, db_index=True)
    provider_txn_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)
    # The fingerprint of the request that used idempotency_key (kernel.idempotency): a key with another gateway is 409.
    request_hash = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.PROCESSING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    request = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="As sent, secrets and personal data redacted."
    )
    response = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="The provider's last word, redacted."
    )
    expires_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"], name="payment_attempt_reconcile")]
        constraints = [
            models.UniqueConstraint(
                fields=["intent", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="payment_attempt_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference} ({self.status})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money given back on an intent: all of it, part of it, or one merchant's share (`part`). Goes through the
    gateway of the attempt it refunds (cash: handed back and recorded)."""

    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="refunds")
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(PaymentPart, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    reference = models.CharField(max_length=20, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_as = models.CharField(max_length=20, help_text="admin, merchant or system")
    allocation = models.JSONField(
        default=dict,
        blank=True,
        help_text="{part id: amount} taken from each merchant part; empty for money that "
        "was never the order's (a second payment, a payment after the order ended).",
    )
    provider_reference = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    request = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    response = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.reference} {money(self.amount, self.currency)} ({self.status})"


class LedgerKind(models.TextChoices):
    CAPTURE = "capture", "Capture"  # money in from the customer (+)
    REFUND = "refund", "Refund"  # money back to the customer (-)
    FEE = "fee", "Gateway fee"  # what the gateway keeps (-, borne by the platform)
    MERCHANT_SHARE = "merchant_share", "Merchant share"  # owed to a merchant for its part (+; - on refund)
    COMMISSION = "commission", "Platform commission"  # the platform's cut of a part (+; - on refund)


class LedgerEntry(models.Model):
    """One money movement, append-only. `key` names the fact it records (e.g. "capture:A12", "share:A12:P7"), so
    recording the same fact twice is impossible: the unique index is the exactly-once guarantee of last resort.

    Invariants (shared_apps/payments/ledger.py, checked in tests): per intent, capture + refund entries sum to
    captured - refunded; per merchant part, share + commission sum to the part's total less what was refunded on it."""

    key = models.CharField(max_length=64, unique=True)
    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="ledger")
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    part = models.ForeignKey(PaymentPart, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    merchant = models.ForeignKey("tenants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Signed.")
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "created_at"], name="ledger_merchant_time")]

    def __str__(self) -> str:
        return f"{self.key} {money(self.amount, self.currency)}"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"  # confirmed with the provider and applied (or already true)
    REJECTED = "rejected", "Rejected"  # failed verification, unknown payment, or the provider's query disagrees
    RETRY = "retry", "Retry"  # the provider could not confirm now: reconciliation will


class WebhookEvent(models.Model):
    """A provider notification, stored raw before anything else happens. One row per distinct fact
    (gateway, dedupe_key); repeats only count `deliveries`."""

    gateway = models.CharField(max_length=12, choices=PaymentMethod.choices)
    dedupe_key = models.CharField(max_length=160)
    body = models.TextField()
    content_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    detail = models.CharField(max_length=255, blank=True)
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "dedupe_key"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.dedupe_key} ({self.status})"
