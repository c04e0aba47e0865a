"""What fulfilment tells the floors above, inside the transaction of the change (receivers must not fail for
reasons of their own): the customer's step or promised time of one merchant order moved. The marketplace mirrors it
into the customer's order and texts the customer once per step (marketplace/orders/tracking.py)."""

from django.dispatch import Signal

# delivery=Delivery, order=MerchantOrder, step=str|None (vocabulary.TrackStatus), branch_name=str, store_name=str
tracking_changed = Signal()
