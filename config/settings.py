"""Settings from environment variables (django-environ). Safe by default: DEBUG off, SECRET_KEY required outside dev.

`.data/embedded.env` (written by `python -m config.embedded up`) supplies DATABASE_URL / REDIS_URL defaults for the
embedded servers; real environment variables always take precedence.
"""

import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF

from kernel.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".data" / "embedded.env", overwrite=False)

DEV = env.bool("PLANCKLY_DEV", default=False)  # set by `make run` / `make test`; never in production
DEBUG = env.bool("DEBUG", default=False)
if DEV:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-change-me-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # ImproperlyConfigured when missing: refuse to run with a guessable key
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
        raise environ.ImproperlyConfigured("SECRET_KEY must be a random string of 50 characters or more")

# The marketplace lives on BASE_DOMAIN, each merchant console on <slug>.BASE_DOMAIN.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1", "testserver"])
# Empty: a form is accepted only from its own host (Django compares Origin with the request's host, which the tenant
# middleware has already resolved to a real merchant or the marketplace). A wildcard here would let any sibling
# subdomain — another merchant's console, or a host that is no merchant at all — post into a console.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if any("*" in origin for origin in CSRF_TRUSTED_ORIGINS):
    raise environ.ImproperlyConfigured("CSRF_TRUSTED_ORIGINS takes exact origins, never a wildcard")

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "unfold.apps.BasicAppConfig",  # keeps unfold from replacing admin.site: ours adds two-factor
    "unfold.contrib.filters",
    "config.apps.PlatformAdminConfig",  # django.contrib.admin with the two-factor site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",  # sitemap.xml of the marketplace (marketplace/discovery/sitemaps.py)
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shared_apps.accounts",
    "shared_apps.sms",
    "shared_apps.media",
    "django.contrib.postgres",
    "shared_apps.categories",
    "marketplace.listings",
    "marketplace.discovery",
    "marketplace.cart",
    "marketplace.checkout",
    "marketplace.orders",
    "marketplace.onboarding",  # /sell/: a shopkeeper signs up as a merchant
    "marketplace.reel_review",  # the operators' queue of merchants' reels (admin)
    "shared_apps.payments",
    "shared_apps.logistics",
    "shared_apps.platform",
    "shared_apps.live",  # the live event log that SSE streams replay from (public schema)
    "shared_apps.behaviour",  # what shoppers do: events batched from Redis, totals per subject
    "shared_apps.recommendations",  # models, their offline evaluation, trained top-N lists per region
    "marketplace.reels",  # the reels feed's index, likes, saves, follows
    "marketplace.history",  # the shopper's history: product events recorded, opt-out, clearing (no tables)
    "marketplace.recommendations",  # training per region from behaviour and listings; the shelves (no tables)
    "demo",  # seed_demo, demo_totp: the top of the house, above every app it seeds
]
# contenttypes stays public-only: tenant schemas see public's table through the search path, so content types
# are platform-wide and a tenant schema holds nothing but its own apps' tables.
TENANT_APPS = [
    "tenant_apps.stores",
    "tenant_apps.staff",
    "tenant_apps.catalog",
    "tenant_apps.inventory",
    "tenant_apps.outbox",
    "tenant_apps.orders",
    "tenant_apps.fulfilment",
    "tenant_apps.reels",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Merchant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.unknown_host"
# The template schema that fast provisioning records its DDL from (see docs/decisions/0001-fast-provisioning.md).
TENANT_TEMPLATE_SCHEMA = "_tenant_template"
# Spare tenant schemas kept built ahead (tenants/schema_spares.py): a burst of new merchants larger than this
# provisions the rest by replaying the DDL.
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=10)
TENANT_LIMIT_SET_CALLS = True  # set the search path once per tenant switch, not before every query

MIDDLEWARE = [
    "config.observability.RequestObservedMiddleware",  # first: the request id, log context and metrics cover all
    "kernel.request_guard.RequestGuardMiddleware",  # first: oversize and NUL refused unread; /api/ errors as JSON
    "tenants.middleware.MerchantHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy with a nonce per request (docs/security.md)
    "config.csp.PolicySourcesMiddleware",  # + the policy's per-request sources (media hosts, console hosts)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The largest request body (bytes) any route reads into memory: JSON, forms, webhooks. Beyond it, 413 with the
# envelope (kernel/request_guard.py). Multipart uploads stream their files to disk and are bounded per kind by their
# apps (CSV 20 MB, image 10 MB, video 100 MB); REQUEST_UPLOAD_MAX_BYTES is the door's ceiling for those.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
REQUEST_UPLOAD_MAX_BYTES = env.int("REQUEST_UPLOAD_MAX_BYTES", default=101 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
NINJA_PAGINATION_CLASS = "kernel.inputs.Pagination"  # every list: limit 1-200, offset 0-1,000,000, else 400

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["kernel.money_filters"],  # {{ amount|money }}: money written one way, in every template
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.views.surface",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db_url("DATABASE_URL", engine="django_tenants.postgresql_backend")}
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))  # socket dirs arrive %-encoded
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# Sessions are kept (the web server's threads, the Celery workers). No `SELECT 1` before each request's first query
# (one round trip of five on a refused checkout): a session that died is found by the request that uses it, which
# fails, and Django closes a session that saw an error when that request ends. DB_CONN_HEALTH_CHECKS=1 trades the
# round trip for never failing that request. Celery tasks drop a broken or obsolete session first (config/celery.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=False)
# Search aggregates tens of thousands of rows in memory (32 MB keeps them off temp files), and JIT compilation costs
# most on exactly those statements while saving nothing for OLTP. No parallel workers: starting them costs more
# than a request's short statement wins back, and on a loaded server they take cores from other requests
# (docs/benchmarks.md, search).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = env.str(
    "DB_SESSION_OPTIONS", default="-c jit=off -c work_mem=32MB -c max_parallel_workers_per_gather=0"
)
# Under ASGI, Django opens a new PostgreSQL session per request whatever CONN_MAX_AGE says (each request's sync code
# runs on a fresh thread): serving config.asgi, use psycopg's pool (DB_POOL_MAX_SIZE > 0). The Procfile serves
# config.wsgi on granian, whose threads keep their sessions, and sets none. django-tenants resets the search_path
# whenever a connection goes back to the pool, so a pooled session never carries one request's schema into the next.
if DB_POOL_MAX_SIZE := env.int("DB_POOL_MAX_SIZE", default=0):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 10,
    }
# A statement run DB_PREPARE_THRESHOLD times on a session is prepared there: PostgreSQL stops planning it (the
# checkout's offers join plans longer than it runs). DB_PREPARED=0 behind a transaction-mode PgBouncer < 1.21.
# Searches opt out per statement (kernel.db.unprepared). docs/decisions/0007-web-serving.md.
if env.bool("DB_PREPARED", default=True):
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL")
# Parallel test workers (pytest-xdist) share one Redis: each gets its own key namespace (empty outside tests).
CACHES = {
    "default": {
        "BACKEND": "kernel.cache.KeptClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/signin/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "PKR"
DEFAULT_CITY = "Lahore"  # a new address's city when the customer leaves it out

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries come from npm (package-lock.json) and are served straight out of node_modules.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/alpinejs", BASE_DIR / "node_modules" / "alpinejs" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/hls", BASE_DIR / "node_modules" / "hls.js" / "dist"),
]
# Map tiles: any XYZ template; OpenStreetMap by default. Without network the maps still draw their markers.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")
# Which partner courier carries a merchant's order (tenant_apps/fulfilment/courier_booking.py): the on-demand courier
# within a city, the intercity parcel courier beyond FULFILMENT_COURIER_LOCAL_KM (straight line, branch to door).
FULFILMENT_COURIER_LOCAL = env.str("FULFILMENT_COURIER_LOCAL", default="uber")
FULFILMENT_COURIER_INTERCITY = env.str("FULFILMENT_COURIER_INTERCITY", default="postex")
FULFILMENT_COURIER_LOCAL_KM = env.float("FULFILMENT_COURIER_LOCAL_KM", default=30.0)
# The customer's tracking link (/track/<token>, sent by SMS) opens the order without signing in until it expires.
TRACK_LINK_MAX_AGE_HOURS = env.int("TRACK_LINK_MAX_AGE_HOURS", default=72)
TRACK_LINK_BASE_URL = env.str("TRACK_LINK_BASE_URL", default=f"http://{BASE_DOMAIN}:8000")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or DEV

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEV)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
# Served over TLS (SECURE_COOKIES): browsers are told to use nothing else, on every merchant's subdomain too.
# SecurityMiddleware sends the header on HTTPS answers only.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)  # a promise that is slow to take back
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)  # usually the TLS proxy's job
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None


# Identity: one-time codes by SMS, JWT for API clients (see shared_apps/accounts).
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ISSUER = env.str("JWT_ISSUER", default="planckly")
JWT_ACCESS_TTL_SECONDS = env.int("JWT_ACCESS_TTL_SECONDS", default=15 * 60)
JWT_REFRESH_TTL_SECONDS = env.int("JWT_REFRESH_TTL_SECONDS", default=30 * 24 * 3600)
JWT_GUEST_TTL_SECONDS = env.int("JWT_GUEST_TTL_SECONDS", default=30 * 24 * 3600)
OTP_CODE_TTL_SECONDS = 300
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
# (limit, window seconds): brute force and SMS pumping brakes, counted in Redis (shared_apps/accounts/ratelimit.py).
# None is per client IP: thousands of honest customers share one address behind a carrier's NAT. A device is the
# signed cookie of shared_apps/accounts/devices.py; clients without one share the "deviceless" bucket.
OTP_REQUEST_LIMIT_PER_PHONE = (5, 3600)
OTP_REQUEST_LIMIT_PER_PREFIX = (env.int("OTP_REQUEST_LIMIT_PER_PREFIX", default=30), 3600)  # per block of 10,000
OTP_REQUEST_LIMIT_PER_DEVICE = (10, 3600)
OTP_REQUEST_LIMIT_DEVICELESS = (env.int("OTP_REQUEST_LIMIT_DEVICELESS", default=300), 3600)
OTP_REQUEST_GLOBAL_BUDGET = (env.int("OTP_REQUEST_GLOBAL_BUDGET", default=5000), 3600)  # the SMS bill's ceiling
OTP_VERIFY_LIMIT_PER_PHONE = (10, 3600)
OTP_VERIFY_LIMIT_PER_DEVICE = (30, 3600)
GUEST_CREATE_LIMIT_PER_DEVICE = (30, 3600)
GUEST_CREATE_LIMIT_DEVICELESS = (env.int("GUEST_CREATE_LIMIT_DEVICELESS", default=3000), 3600)
GUEST_CREATE_GLOBAL_BUDGET = (env.int("GUEST_CREATE_GLOBAL_BUDGET", default=50000), 3600)
OTP_TOTP_ISSUER = "Planckly admin"
NUM_PROXIES = env.int("NUM_PROXIES", default=0)  # trusted reverse proxies in front of us (for the client IP)

# Celery: Redis is the broker; results are not stored (tasks record their effects in the database).
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="planckly")
# Long, memory-hungry tasks (recommendations' nightly training) go here, to their own worker (Procfile `trainer`).
CELERY_TRAINING_QUEUE = env.str("CELERY_TRAINING_QUEUE", default="planckly-training")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database session around every task unless this is set (it even closes a psycopg
# pool in prefork children): a new PostgreSQL session per task doubled the database's CPU per notification in
# benchmarks/webhooks.py. With it, a worker keeps its session for this many tasks; config/celery.py still drops a
# broken or obsolete one before each task, as Django does per request (CONN_MAX_AGE, CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)

# Structured logs (kernel/logs.py): one JSON object per line with the request id, tenant and user, secrets and phone
# numbers redacted; PLANCKLY_DEV prints the same events as readable console lines (LOG_FORMAT=json|console overrides).
LOGGING = logging_config(
    dev=env.str("LOG_FORMAT", default="console" if DEV else "json") == "console",
    level=env.str("LOG_LEVEL", default="INFO"),
    # django.request logs every 4xx as a WARNING: a sold-out flash sale or a bot's 404s would be a line per request
    # (and its formatting cost); client errors are answers, not incidents. Server errors (5xx) still log.
    quiet=[("django.db.backends", "WARNING"), ("django.request", "ERROR")],
)
# Celery keeps this configuration instead of installing its own handlers (config/celery.py, setup_logging).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Prometheus (kernel/metrics.py, config/metrics.py, docs/operations.md). /metrics answers only `Authorization: Bearer
# <METRICS_TOKEN>` when the token is set, else only a scraper on this machine talking to the process directly.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_EXTRA_QUEUES = env.list("METRICS_EXTRA_QUEUES", default=[])  # Celery queues besides CELERY_QUEUE to measure
# A Celery worker on a host without a web process serves the samples itself on this port (0: it does not).
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
METRICS_WORKER_ADDR = env.str("METRICS_WORKER_ADDR", default="127.0.0.1")

UNFOLD = {
    "SITE_TITLE": "Planckly admin",
    "SITE_HEADER": "Planckly",
    "SITE_SYMBOL": "storefront",
    "SHOW_HISTORY": True,
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": "Marketplace",
                "items": [
                    {"title": "Merchants", "icon": "storefront", "link": "/admin/tenants/merchant/"},
                    {"title": "Approval queue", "icon": "approval", "link": "/admin/tenants/approvalqueueentry/"},
                    {"title": "Onboarding policy", "icon": "rule", "link": "/admin/tenants/onboardingpolicy/"},
                    {"title": "Categories", "icon": "category", "link": "/admin/categories/category/"},
                    {"title": "Recommendations", "icon": "recommend", "link": "/admin/behaviour/shelfdaily/"},
                ],
            },
            {
                "title": "People",
                "items": [
                    {"title": "Users", "icon": "person", "link": "/admin/accounts/user/"},
                    {"title": "Roles (groups)", "icon": "badge", "link": "/admin/auth/group/"},
                ],
            },
            {
                "title": "Payments",
                "items": [
                    {"title": "Transactions", "icon": "payments", "link": "/admin/payments/paymentintent/"},
                    {"title": "Webhooks", "icon": "webhook", "link": "/admin/payments/webhookevent/"},
                ],
            },
            {
                "title": "Logistics",
                "items": [
                    {
                        "title": "Courier deliveries",
                        "icon": "local_shipping",
                        "link": "/admin/logistics/courierdelivery/",
                    },
                    {"title": "Courier webhooks", "icon": "webhook", "link": "/admin/logistics/courierwebhook/"},
                ],
            },
        ],
    },
}

# Extra host names that serve the marketplace (e.g. the production apex domain next to BASE_DOMAIN).
PUBLIC_EXTRA_HOSTS = env.list("PUBLIC_EXTRA_HOSTS", default=[])
# Links we send by SMS (a merchant's console): the scheme and port the hosts are reached on, around "{host}".
SITE_URL_FORMAT = env.str("SITE_URL_FORMAT", default="http://{host}:8000" if DEV else "https://{host}")
# Whether a new merchant's "Go live" waits for an operator's approval, until an operator saves the onboarding policy
# in the admin (tenants.OnboardingPolicy), which then decides.
MERCHANT_APPROVAL_REQUIRED = env.bool("MERCHANT_APPROVAL_REQUIRED", default=False)


# SMS through a Twilio-compatible REST API (shared_apps/sms). Defaults talk to the local sandbox (sandboxes/sms.py);
# for Twilio set SMS_API_BASE=https://api.twilio.com and the account's SID, auth token and sender.
def _provider(name: str, sandbox_default: str) -> str:
    """Sandbox defaults in development only: a deploy that forgot a provider setting fails at start-up (missing
    variable) instead of sending sign-in codes or uploads to a sandbox that is not there."""
    return env.str(name, default=sandbox_default) if DEV else env.str(name)


SMS_API_BASE = _provider("SMS_API_BASE", "http://127.0.0.1:8100")
SMS_ACCOUNT_SID = _provider("SMS_ACCOUNT_SID", "ACsandbox0000000000000000000000000")
SMS_AUTH_TOKEN = _provider("SMS_AUTH_TOKEN", "sandbox-auth-token")
SMS_FROM = _provider("SMS_FROM", "+15005550006")
SMS_MESSAGING_SERVICE_SID = env.str("SMS_MESSAGING_SERVICE_SID", default="")  # when set, used instead of SMS_FROM
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=5.0)

# Media through Cloudinary (shared_apps/media). The SDK reads CLOUDINARY_URL from the environment itself; unset, it
# talks to the local sandbox (sandboxes/cloudinary.py), whose `cname` makes delivery URLs plain http to it as well.
# Production: CLOUDINARY_URL=cloudinary://<key>:<secret>@<cloud> (Upload API at api.cloudinary.com, delivery at
# https://res.cloudinary.com/<cloud>/...). See shared_apps/media/services.py, delivery_url. The setting below is a
# snapshot for people; code reads cloudinary.config(), which tests re-point through the environment.
CLOUDINARY_URL = _provider(
    "CLOUDINARY_URL",
    "cloudinary://sandbox-key:sandbox-secret@planckly?upload_prefix=http://127.0.0.1:8100&cname=127.0.0.1:8100",
)
os.environ.setdefault("CLOUDINARY_URL", CLOUDINARY_URL)  # the SDK reads the environment itself
# Where Cloudinary posts upload/delete notifications for browser uploads (our /api/v1/media/webhooks/cloudinary, as
# the public internet reaches it). Empty: none requested; the browser hands the signed upload response back instead.
CLOUDINARY_NOTIFICATION_URL = env.str("CLOUDINARY_NOTIFICATION_URL", default="")
CLOUDINARY_TIMEOUT_SECONDS = env.int("CLOUDINARY_TIMEOUT_SECONDS", default=30)

# Cart and checkout (marketplace/cart, marketplace/checkout)
CART_MAX_QUANTITY = 99
CART_GUEST_TTL_DAYS = env.int("CART_GUEST_TTL_DAYS", default=7)  # abandoned carts are deleted by beat
CART_USER_TTL_DAYS = env.int("CART_USER_TTL_DAYS", default=60)
PAYMENT_TIMEOUT_MINUTES = env.int("PAYMENT_TIMEOUT_MINUTES", default=15)  # unpaid reservations are released after
PARTNER_DELIVERY_BASE_FEE = Decimal(env.str("PARTNER_DELIVERY_BASE_FEE", default="150.00"))
PARTNER_DELIVERY_FEE_PER_KM = Decimal(env.str("PARTNER_DELIVERY_FEE_PER_KM", default="25.00"))
PARTNER_DELIVERY_MAX_KM = env.float("PARTNER_DELIVERY_MAX_KM", default=15.0)
# The partner courier checkout quotes and charges (LOGISTICS_COURIERS): the on-demand one, for the neighbourhood.
CHECKOUT_COURIER = env.str("CHECKOUT_COURIER", default="uber")
# The promised time (marketplace/checkout/promise.py): travel at this speed by straight-line distance, plus the
# branch's preparation; a shop closed now takes scheduled orders up to this many days ahead, in slots of this size.
DELIVERY_SPEED_KMH = env.float("DELIVERY_SPEED_KMH", default=18.0)
CHECKOUT_SCHEDULE_HORIZON_DAYS = env.int("CHECKOUT_SCHEDULE_HORIZON_DAYS", default=2)
CHECKOUT_SCHEDULE_SLOT_MINUTES = env.int("CHECKOUT_SCHEDULE_SLOT_MINUTES", default=30)

# Online payments (shared_apps/payments/gateways). Defaults talk to the local sandboxes (sandboxes/foree.py,
# sandboxes/jazzcash.py); production sets the providers' hosts and the merchant account's credentials.
# Where the providers send customers back and post notifications: our public origin as the internet reaches it.
PAYMENTS_PUBLIC_BASE_URL = env.str("PAYMENTS_PUBLIC_BASE_URL", default="http://localhost:8000")
PAYMENT_GATEWAY_TIMEOUT_SECONDS = env.float("PAYMENT_GATEWAY_TIMEOUT_SECONDS", default=10.0)
# After an intent's deadline, how long a payment started on the provider's page may still land before the order goes.
PAYMENT_PROVIDER_GRACE_MINUTES = env.int("PAYMENT_PROVIDER_GRACE_MINUTES", default=5)
PAYMENT_PLATFORM_COMMISSION_RATE = Decimal(env.str("PAYMENT_PLATFORM_COMMISSION_RATE", default="0.05"))
# Foree Pay: https://api.foreebill.com (sandbox https://api-sandbox.foreebill.com), X-API-KEY from the portal.
FOREE_API_BASE = _provider("FOREE_API_BASE", "http://127.0.0.1:8100/foree")
FOREE_API_KEY = _provider("FOREE_API_KEY", "sandbox-foree-key")
FOREE_SUB_BILLER_NAME = env.str("FOREE_SUB_BILLER_NAME", default="Planckly")
FOREE_FEE_RATE = Decimal(env.str("FOREE_FEE_RATE", default="0.015"))  # what Foree keeps of each payment
# JazzCash: form https://payments.jazzcash.com.pk/CustomerPortal/transactionmanagement/merchantform/ and API base
# https://payments.jazzcash.com.pk (sandbox host sandbox.jazzcash.com.pk), credentials from the merchant portal.
JAZZCASH_FORM_URL = _provider(
    "JAZZCASH_FORM_URL", "http://127.0.0.1:8100/jazzcash/CustomerPortal/transactionmanagement/merchantform/"
)
JAZZCASH_API_BASE = _provider("JAZZCASH_API_BASE", "http://127.0.0.1:8100/jazzcash")
JAZZCASH_MERCHANT_ID = _provider("JAZZCASH_MERCHANT_ID", "MC00001")
JAZZCASH_PASSWORD = _provider("JAZZCASH_PASSWORD", "sandbox-password")
JAZZCASH_INTEGRITY_SALT = _provider("JAZZCASH_INTEGRITY_SALT", "sandboxsalt1")
JAZZCASH_MPIN = _provider("JAZZCASH_MPIN", "1234")
JAZZCASH_TXN_TYPE = env.str("JAZZCASH_TXN_TYPE", default="MWALLET")
JAZZCASH_FEE_RATE = Decimal(env.str("JAZZCASH_FEE_RATE", default="0.02"))

# Partner couriers (shared_apps/logistics/couriers): name -> adapter class. Defaults talk to the local sandboxes
# (sandboxes/uberdirect.py, sandboxes/postex.py); production sets the couriers' hosts and the account's credentials.
LOGISTICS_COURIERS = {
    "uber": "shared_apps.logistics.couriers.uberdirect.UberDirectCourier",
    "postex": "shared_apps.logistics.couriers.postex.PostExCourier",
}
COURIER_TIMEOUT_SECONDS = env.float("COURIER_TIMEOUT_SECONDS", default=10.0)
COURIER_POLL_BATCH = env.int("COURIER_POLL_BATCH", default=100)  # parcels asked about per beat run
# PostEx answers in minutes at best and parcels move in days: asking about one more often is wasted calls.
COURIER_POLL_INTERVAL_SECONDS = env.int("COURIER_POLL_INTERVAL_SECONDS", default=600)
# A courier with webhooks that said nothing about an open delivery for this long is asked (a notification was lost).
COURIER_QUIET_SECONDS = env.int("COURIER_QUIET_SECONDS", default=900)
# Uber Direct: token https://auth.uber.com/oauth/v2/token, API https://api.uber.com, credentials from the dashboard.
UBER_DIRECT_TOKEN_URL = _provider("UBER_DIRECT_TOKEN_URL", "http://127.0.0.1:8100/uber/oauth/v2/token")
UBER_DIRECT_API_BASE = _provider("UBER_DIRECT_API_BASE", "http://127.0.0.1:8100/uber")
UBER_DIRECT_CUSTOMER_ID = _provider("UBER_DIRECT_CUSTOMER_ID", "sandbox-customer")
UBER_DIRECT_CLIENT_ID = _provider("UBER_DIRECT_CLIENT_ID", "sandbox-client")
UBER_DIRECT_CLIENT_SECRET = _provider("UBER_DIRECT_CLIENT_SECRET", "sandbox-client-secret")
UBER_DIRECT_WEBHOOK_SIGNING_KEY = _provider("UBER_DIRECT_WEBHOOK_SIGNING_KEY", "sandbox-uber-signing-key")
# PostEx: https://api.postex.pk/services/integration/api/order, the merchant portal's API token and pickup address.
POSTEX_API_BASE = _provider("POSTEX_API_BASE", "http://127.0.0.1:8100/postex/services/integration/api/order")
POSTEX_API_TOKEN = _provider("POSTEX_API_TOKEN", "sandbox-postex-token")
POSTEX_PICKUP_ADDRESS_CODE = _provider("POSTEX_PICKUP_ADDRESS_CODE", "001")
POSTEX_FEE = Decimal(env.str("POSTEX_FEE", default="250.00"))  # PostEx has no quote API: its rate card
POSTEX_DELIVERY_DAYS = env.int("POSTEX_DELIVERY_DAYS", default=3)
# Live events (shared_apps/live, docs/decisions/0011-live-streams.md): the event log streams replay from is kept this
# long; streams send a heartbeat comment this often (proxies close idle connections) and tell EventSource to
# reconnect after LIVE_RETRY_MS.
LIVE_EVENT_RETENTION_DAYS = env.int("LIVE_EVENT_RETENTION_DAYS", default=3)
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)
LIVE_RETRY_MS = env.int("LIVE_RETRY_MS", default=2000)
# Recommendations' training (marketplace/recommendations/training.py, ADR 0016): one run over every region, nightly
# by beat, within this time and memory (tuning stops early to stay in it; the final fits always run), on the
# behaviour events of the last RECOMMENDATIONS_EVENT_DAYS (the events' own retention).
RECOMMENDATIONS_TRAIN_SECONDS = env.float("RECOMMENDATIONS_TRAIN_SECONDS", default=600.0)
RECOMMENDATIONS_TRAIN_MEMORY_MB = env.float("RECOMMENDATIONS_TRAIN_MEMORY_MB", default=4096.0)
RECOMMENDATIONS_EVENT_DAYS = env.int("RECOMMENDATIONS_EVENT_DAYS", default=180)


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL template (map tiles); a `{s}` subdomain becomes a wildcard."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}"


# Content-Security-Policy (django-csp; config/csp.py adds Cloudinary's hosts per request). Scripts
# only from our origin or with the request's nonce: no inline script or handler runs. 'unsafe-eval' stays while
# Alpine's and htmx's attribute expressions are evaluated with `new Function` (docs/security.md says what removes it).
# Inline style attributes stay allowed: templates and Leaflet set sizes that way, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE, "'unsafe-eval'"],
        "style-src": [CSP_SELF, "'unsafe-inline'"],
        "img-src": [CSP_SELF, "data:", "blob:", _origin(MAP_TILE_URL)],
        "media-src": [CSP_SELF, "blob:"],
        "connect-src": [CSP_SELF],
        "font-src": [CSP_SELF, "data:"],
        "worker-src": [CSP_SELF, "blob:"],  # hls.js demuxes in a worker it builds from a blob
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        # No form-action: a checkout's POST is answered with a redirect to the payment provider's hosted page, whose
        # host the provider chooses (Foree's payment_link), and browsers apply form-action to that redirect too.
    }
}
