"""Beat schedule: periodic sweeps. Each entry names a task registered by an app's tasks.py."""

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

SCHEDULE = {
    "media-deleting-sweep": {"task": "shared_apps.media.tasks.assets_deleting_sweep", "schedule": 900.0},
    "listings-sweep": {"task": "marketplace.listings.tasks.listings_sweep", "schedule": 5.0},
    "search-terms-refresh": {"task": "marketplace.listings.tasks.search_terms_refresh", "schedule": 600.0},
    # Frequent words' per-branch counts, ahead of the searches (discovery/cell_refresh.py); then only changed branches.
    "word-cells-refresh": {
        "task": "marketplace.discovery.tasks.word_cells_refresh",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
    "merchant-stats-refresh-all": {"task": "tenant_apps.stores.tasks.merchant_stats_refresh_all", "schedule": 600.0},
    # Unpaid online orders hold stock for PAYMENT_TIMEOUT_MINUTES; released within a minute after that.
    "unpaid-orders-release": {
        "task": "marketplace.orders.tasks.unpaid_orders_release",
        "schedule": 60.0,
        "options": {"expires": 60.0},  # after a worker outage, one sweep catches up; the missed ones are dropped
    },
    # Attempts still processing a minute after they started, notifications not confirmed yet, refunds not answered.
    "payments-reconcile": {
        "task": "shared_apps.payments.tasks.payments_reconcile_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # Parcels of couriers without webhooks (PostEx), bookings whose task was lost, early courier notifications.
    "couriers-poll": {
        "task": "shared_apps.logistics.tasks.couriers_poll_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # SMS outbox rows no kick delivered: the broker was down at commit, a worker died, a retry is due.
    "sms-sweep": {
        "task": "shared_apps.sms.tasks.sms_messages_sweep",
        "schedule": 10.0,
        "options": {"expires": 10.0},
    },
    # The live event log replays a reconnecting stream; older events are of no use to anyone.
    "live-events-purge": {"task": "shared_apps.live.tasks.live_events_purge", "schedule": 3600.0},
    # Behaviour events (reels' and products') wait in a Redis list; drained into the database in batches.
    "behaviour-drain": {
        "task": "shared_apps.behaviour.tasks.behaviour_drain_task",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Who did what is kept RETENTION_DAYS, then folded into per-product daily counts (shared_apps/behaviour).
    "behaviour-retire": {
        "task": "shared_apps.behaviour.tasks.behaviour_retire_task",
        "schedule": 86400.0,
        "options": {"expires": 3600.0},
    },
    # The reels feed's stored scores follow engagement, stock and opening hours (marketplace/reels/scores.py).
    "reels-scores-refresh": {
        "task": "marketplace.reels.tasks.reels_scores_refresh",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "reels-orders-attribute": {
        "task": "marketplace.reels.tasks.reels_orders_attribute",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # Recommendations (marketplace/recommendations/training.py): nightly at 03:00 (beat keeps Pakistan time, TIME_ZONE)
    # on a queue of its own: a run takes minutes and GBs that must never hold the short tasks' worker.
    # Expires before the morning: a night missed waits for the next one rather than training at rush hour.
    "recommendations-train": {
        "task": "marketplace.recommendations.tasks.recommendations_train_task",
        "schedule": crontab(hour=3, minute=0),
        "options": {"queue": settings.CELERY_TRAINING_QUEUE, "expires": 4 * 3600.0},
    },
    "carts-expire": {"task": "marketplace.cart.tasks.carts_expire", "schedule": 3600.0},
    # New merchants take a prebuilt schema (tenants/schema_spares.py); refill the pool they drew from.
    "tenant-spares-refill": {
        "task": "tenants.tasks.spares_refill",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
}


def install(app: Celery) -> None:
    app.conf.beat_schedule = SCHEDULE
