"""Payments in the admin panel: "Transactions" (one row per PaymentIntent: the order's payment, its attempts through
the gateways, its refunds and its ledger) and "Webhooks" (provider notifications as received).

Everything is read-only: operators never edit money fields; money moves only through the payments services. The one
write is the Refund button on a transaction (staff with `payments.add_refund`; superusers have it), a form that calls
refund_request(requested_as="admin") and reports the outcome as a message: a refused refund changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminDecimalFieldWidget, UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from kernel.errors import DomainError
from kernel.money import money
from shared_apps.accounts.phones import phone_normalize
from shared_apps.payments.errors import PaymentErrorCode
from shared_apps.payments.ledger import part_allocated
from shared_apps.payments.models import (
    IntentStatus,
    LedgerEntry,
    PaymentAttempt,
    PaymentIntent,
    PaymentPart,
    Refund,
    WebhookEvent,
)
from shared_apps.payments.services import refund_request, refundable

REFUND_PERMISSION = "payments.add_refund"


class ReadOnlyInline(TabularInline):
    extra = 0
    hide_title = True  # the row's str() repeats what its columns say
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _payload(data: dict) -> str:
    """A stored (already redacted) request/response, folded away: operators rarely need it, support sometimes."""
    if not data:
        return "—"
    return format_html(
        '<details><summary class="cursor-pointer">show</summary><pre class="text-xs whitespace-pre-wrap">{}</pre>'
        "</details>",
        json.dumps(data, indent=2, sort_keys=True, default=str),
    )


class AttemptInline(ReadOnlyInline):
    model = PaymentAttempt
    verbose_name_plural = "Attempts (through the gateways)"
    fields = [
        "gateway",
        "reference",
        "provider_reference",
        "provider_txn_id",
        "status",
        "amount",
        "paid_amount",
        "error",
        "created_at",
        "request_payload",
        "response_payload",
    ]
    readonly_fields = fields
    ordering = ["id"]

    @admin.display(description="Error")
    def error(self, attempt: PaymentAttempt) -> str:
        return " ".join(filter(None, [attempt.error_code, attempt.error_message])) or "—"

    @admin.display(description="Request (redacted)")
    def request_payload(self, attempt: PaymentAttempt) -> str:
        return _payload(attempt.request)

    @admin.display(description="Response (redacted)")
    def response_payload(self, attempt: PaymentAttempt) -> str:
        return _payload(attempt.response)


class RefundInline(ReadOnlyInline):
    model = Refund
    verbose_name_plural = "Refunds"
    fields = [
        "reference",
        "amount",
        "status",
        "part",
        "requested_as",
        "requested_by",
        "reason",
        "provider_reference",
        "error_message",
        "created_at",
    ]
    readonly_fields = fields
    ordering = ["id"]


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    verbose_name_plural = "Ledger entries"
    fields = ["created_at", "kind", "amount", "currency", "merchant", "part", "key"]
    readonly_fields = fields
    ordering = ["id"]


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="Defaults to everything still refundable.",
    )
    part = forms.ModelChoiceField(
        queryset=PaymentPart.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        empty_label="Whole order (spread over the paid parts)",
        help_text="Take it out of one merchant's part only.",
    )
    reason = forms.CharField(max_length=255, widget=UnfoldAdminTextInputWidget, help_text="Kept with the refund.")

    def __init__(self, *args, intent: PaymentIntent, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = intent.parts.order_by("id")
        self.fields["part"].label_from_instance = lambda p: (
            f"{p.number} · {p.store_name} ({p.branch_name}) · {money(p.total)}"
        )


class ReadOnlyAdmin(ModelAdmin):
    """Money records are written by services only: operators read them (and refund through the refund view)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentIntent)
class PaymentIntentAdmin(ReadOnlyAdmin):
    list_display = [
        "order_number",
        "customer_phone",
        "method",
        "status_badge",
        "amount_shown",
        "captured_shown",
        "refunded_shown",
        "created_at",
    ]
    list_filter = ["status", "method", "created_at"]
    search_fields = [
        "customer_order__number",
        "customer_order__contact_phone",
        "parts__number",
        "attempts__reference",
        "attempts__provider_reference",
        "attempts__provider_txn_id",
        "refunds__reference",
    ]
    search_help_text = (
        "Order or part number, customer phone, our attempt/refund reference, provider reference or txn id."
    )
    date_hierarchy = "created_at"
    list_select_related = ["customer_order"]
    ordering = ["-id"]
    fieldsets = [
        (None, {"fields": ["order_link", "customer", "method", "status", "amount", "currency"]}),
        ("Money", {"fields": ["captured_amount", "refunded_amount", "refundable_now", "last_error", "expires_at"]}),
        ("Order parts", {"fields": ["parts_table"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]
    readonly_fields = [
        "order_link",
        "customer",
        "method",
        "status",
        "amount",
        "currency",
        "captured_amount",
        "refunded_amount",
        "refundable_now",
        "last_error",
        "expires_at",
        "parts_table",
        "created_at",
        "updated_at",
    ]
    inlines = [AttemptInline, RefundInline, LedgerInline]
    actions_detail = ["refund_action"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {"title": "Transactions", **(extra_context or {})})

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentIntent]:
        return super().get_queryset(request).select_related("customer_order")

    def get_search_results(self, request, queryset, search_term):
        """A phone typed as people write it (0300 1234567) also finds the stored +923001234567."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit() or ch == "+")
        if len(digits) >= 10:
            try:
                phone = phone_normalize(digits)
            except DomainError:
                return results, may_have_duplicates
            results |= queryset.filter(customer_order__contact_phone=phone)
        return results, may_have_duplicates

    def has_refund_permission(self, request: HttpRequest, object_id=None) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @display(description="Order", ordering="customer_order__number")
    def order_number(self, intent: PaymentIntent) -> str:
        return intent.customer_order.number

    @display(description="Phone", ordering="customer_order__contact_phone")
    def customer_phone(self, intent: PaymentIntent) -> str:
        return intent.customer_order.contact_phone

    @display(
        description="Status",
        ordering="status",
        label={
            IntentStatus.SUCCEEDED: "success",
            IntentStatus.PARTIALLY_REFUNDED: "warning",
            IntentStatus.REFUNDED: "info",
            IntentStatus.FAILED: "danger",
            IntentStatus.EXPIRED: "danger",
            IntentStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, intent: PaymentIntent) -> str:
        return intent.status

    @admin.display(description="Amount", ordering="amount")
    def amount_shown(self, intent: PaymentIntent) -> str:
        return money(intent.amount, intent.currency)

    @admin.display(description="Captured", ordering="captured_amount")
    def captured_shown(self, intent: PaymentIntent) -> str:
        return money(intent.captured_amount, intent.currency)

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded_shown(self, intent: PaymentIntent) -> str:
        return money(intent.refunded_amount, intent.currency)

    @admin.display(description="Order")
    def order_link(self, intent: PaymentIntent) -> str:
        url = reverse("admin:customer_orders_customerorder_change", args=[intent.customer_order_id])
        order = intent.customer_order
        return format_html(
            '<a href="{}">{}</a> · {} · {}',
            url,
            order.number,
            order.get_status_display(),
            money(order.total, order.currency),
        )

    @admin.display(description="Customer")
    def customer(self, intent: PaymentIntent) -> str:
        order = intent.customer_order
        return " · ".join(filter(None, [order.contact_name, order.contact_phone]))

    @admin.display(description="Refundable now")
    def refundable_now(self, intent: PaymentIntent) -> str:
        return money(refundable(intent), intent.currency)

    @admin.display(description="Parts (one per merchant order)")
    def parts_table(self, intent: PaymentIntent) -> str:
        parts = list(intent.customer_order.parts.order_by("id"))
        if not parts:
            return "—"
        rows = format_html_join(
            "",
            '<tr><td class="pr-4">{}</td><td class="pr-4">{}</td><td class="pr-4">{}</td><td class="pr-4">{}</td>'
            '<td class="pr-4 text-right">{}</td><td class="text-right">{}</td></tr>',
            (
                (p.number, p.store_name, p.branch_name, p.status, money(p.total), money(part_allocated(p.pk)))
                for p in parts
            ),
        )
        head = mark_safe(
            '<tr class="text-left font-semibold"><th class="pr-4">Number</th><th class="pr-4">Store</th>'
            '<th class="pr-4">Branch</th><th class="pr-4">Status</th><th class="pr-4 text-right">Total</th>'
            '<th class="text-right">Held (share + commission)</th></tr>'
        )
        return format_html('<table class="text-sm">{}{}</table>', head, rows)

    @action(description="Refund", url_path="refund", permissions=["refund"], icon="undo")
    def refund_action(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the form (amount defaults to everything refundable). POST: refund_request as admin, then back to the
        transaction with the outcome; a PaymentError is shown as its message and nothing changes."""
        intent = get_object_or_404(PaymentIntent.objects.select_related("customer_order"), pk=object_id)
        if not self.has_refund_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:payments_paymentintent_change", args=[intent.pk])
        available = refundable(intent)
        if request.method == "POST":
            form = RefundForm(request.POST, intent=intent)
            if form.is_valid():
                try:
                    refund = refund_request(
                        intent=intent,
                        amount=form.cleaned_data["amount"],
                        part=form.cleaned_data["part"],
                        reason=form.cleaned_data["reason"],
                        requested_as="admin",
                        user_id=request.user.pk,
                    )
                except DomainError as exc:
                    if exc.code == PaymentErrorCode.REFUND_PENDING:  # recorded, pending: must not be redone
                        self.message_user(request, exc.message, messages.WARNING)
                        return redirect(change_url)
                    self.message_user(request, f"Refund not made: {exc.message}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"Refunded {money(refund.amount, refund.currency)} (reference {refund.reference}).",
                        messages.SUCCESS,
                    )
                    return redirect(change_url)
        else:
            form = RefundForm(initial={"amount": available}, intent=intent)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {intent.customer_order.number}",
            "opts": self.model._meta,
            "intent": intent,
            "available": available,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "payments/admin_refund.html", context, status=200)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["gateway", "dedupe_key", "status", "deliveries", "received_at", "processed_at", "detail"]
    list_filter = ["gateway", "status"]
    search_fields = ["dedupe_key"]
    date_hierarchy = "received_at"
    ordering = ["-id"]
    readonly_fields = [
        "gateway",
        "dedupe_key",
        "status",
        "deliveries",
        "received_at",
        "processed_at",
        "detail",
        "attempt",
        "content_type",
        "body",
    ]
    fields = readonly_fields
