"""Cart fixtures: the checkout's market and buyers."""

from marketplace.checkout.tests.conftest import market, new_buyer  # noqa: F401  (fixtures)
