"""The demo neighbourhood: `manage.py seed_demo` and `demo_totp`. It imports every app; nothing imports it."""
