"""What payments tells the floors above it (the customer's order in the marketplace) without importing them. Every
signal is sent inside the transaction that made the change, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# An attempt started with `method` (a gateway): the order shows the method the customer is paying with.
payment_method_chosen = Signal()  # intent=PaymentIntent, method=str

# The order's payment succeeded, in full and in time, with the order's rows locked (lock_order.customer_order_lock):
# its parts waiting for payment become placed. `merchant_orders` are those locks, so they are not taken twice.
payment_succeeded = Signal()  # intent=PaymentIntent, merchant_orders=list[tuple[part, MerchantOrder]]

# Sent after a refund commits, with the ids of the parts it emptied: their merchant orders are marked refunded.
refund_parts_ended = Signal()  # refund=Refund, part_ids=list[int]
