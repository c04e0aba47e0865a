"""Cart fixtures: the checkout's market and buyers."""

from marketplace.checkout.tests.conftest import cake, market, new_buyer, rice  # noqa: F401  (fixtures)
