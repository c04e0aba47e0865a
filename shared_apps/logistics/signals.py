"""What logistics tells the floors above it (the merchant's fulfilment floor) without importing them. Sent inside
the transaction that made the change, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# A partner courier's delivery moved (exactly once per move: late and repeated notifications send nothing).
# `from_status`/`to_status` are DeliveryStatus values (CourierStatus plus "requested" and "failed");
# `delivery` carries merchant_schema, merchant_order_id, customer_order_id and merchant_delivery_id.
courier_status_changed = Signal()  # sender=CourierDelivery, delivery, from_status: str, to_status: str

# The courier is about to arrive at the customer's door (Uber's courier_imminent), told once per delivery.
courier_arriving = Signal()  # sender=CourierDelivery, delivery
