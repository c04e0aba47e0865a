"""Payments keeps its own record of each merchant part (PaymentPart), filled here from the customer orders' parts of
every existing intent with the same ids, so refund allocations, ledger keys and the ledger's and refunds' `part_id`
values stay valid when those columns move from the marketplace's parts to payments' own."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def payment_parts_fill(apps, schema_editor) -> None:
    CustomerOrderPart = apps.get_model("customer_orders", "CustomerOrderPart")
    PaymentIntent = apps.get_model("payments", "PaymentIntent")
    PaymentPart = apps.get_model("payments", "PaymentPart")
    intent_of = dict(PaymentIntent.objects.values_list("customer_order_id", "pk"))
    batch = []
    for part in CustomerOrderPart.objects.filter(order_id__in=list(intent_of)).order_by("id").iterator(BATCH):
        batch.append(
            PaymentPart(
                id=part.pk,
                intent_id=intent_of[part.order_id],
                merchant_id=part.merchant_id,
                merchant_order_id=part.merchant_order_id,
                number=part.number,
                branch_id=part.branch_id,
                store_name=part.store_name,
                branch_name=part.branch_name,
                total=part.total,
            )
        )
        if len(batch) == BATCH:
            PaymentPart.objects.bulk_create(batch)
            batch = []
    PaymentPart.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("customer_orders", "0001_initial"),
        ("payments", "0002_attempts_refunds_ledger_webhooks"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentPart",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        help_text="The customer-order part's id.", primary_key=True, serialize=False
                    ),
                ),
                (
                    "merchant_order_id",
                    models.BigIntegerField(help_text="The MerchantOrder it pays for, in the merchant's schema."),
                ),
                (
                    "number",
                    models.CharField(
                        help_text="The merchant order's (globally unique) number.", max_length=24, unique=True
                    ),
                ),
                ("branch_id", models.BigIntegerField()),
                ("store_name", models.CharField(max_length=120)),
                ("branch_name", models.CharField(max_length=120)),
                ("total", models.DecimalField(decimal_places=2, max_digits=12)),
                (
                    "intent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="parts", to="payments.paymentintent"
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.merchant"
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
            },
        ),
        migrations.AddConstraint(
            model_name="paymentpart",
            constraint=models.UniqueConstraint(fields=("merchant", "merchant_order_id"), name="payment_part_source"),
        ),
        migrations.RunPython(payment_parts_fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="ledgerentry",
            name="part",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger",
                to="payments.paymentpart",
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="part",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="payments.paymentpart",
            ),
        ),
    ]
