"""What the tenants floor tells the floors above it, without importing them."""

from django.dispatch import Signal

# Sent by merchant_provision inside its transaction, with the new schema active: merchant=, owner_phone=.
# A receiver that raises rolls the whole provisioning back (schema included); TenantsError reaches the caller as is.
merchant_provisioned = Signal()
