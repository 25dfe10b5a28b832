"""Storefront settings, from the environment only.

The storefront has no database: everything it shows comes from the backend's GraphQL API
at BACKEND_URL. Sessions (which hold the buyer's API token and checkout token) stay on the
server: files under .data/storefront-sessions by default, Redis when REDIS_URL is set; the
browser only gets the session id. It never imports backend code.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent  # storefront/
REPO_ROOT = BASE_DIR.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from exc


def _env_str(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


DEBUG = _env_bool("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "storefront-dev-only-insecure-secret-key"
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if host.strip()
]

BACKEND_URL = _env_str("BACKEND_URL") or "http://127.0.0.1:8000"
BACKEND_TIMEOUT_SECONDS = _env_float("BACKEND_TIMEOUT_SECONDS", 5.0)
# Catalog answers (never anything user-specific) are cached this long.
CATALOG_CACHE_SECONDS = int(_env_float("CATALOG_CACHE_SECONDS", 60))
# Reference lists that change rarely (category tree, village names) are cached this long.
REFERENCE_CACHE_SECONDS = int(_env_float("REFERENCE_CACHE_SECONDS", 600))
# Stripe.js is loaded on the payment page only, and only when this is set.
STRIPE_PUBLISHABLE_KEY = _env_str("STRIPE_PUBLISHABLE_KEY")

INSTALLED_APPS = [
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shop.middleware.language_middleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.middleware.backend_errors_middleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
                "shop.context.shop",
            ]
        },
    },
]

DATABASES: dict[str, dict[str, str]] = {}

REDIS_URL = _env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "storefront",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "storefront-catalog",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.file"
    SESSION_FILE_PATH = _env_str("STOREFRONT_SESSION_DIR") or str(
        REPO_ROOT / ".data" / "storefront-sessions"
    )
    Path(SESSION_FILE_PATH).mkdir(parents=True, exist_ok=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 24 * 3600
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_FAILURE_VIEW = "shop.views.errors.csrf_failure"

# Chinese by default; English by choice (the language cookie, set by set_language). The
# browser's Accept-Language is deliberately ignored: the shop speaks Chinese first.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS: list[Path] = []  # each app keeps its own: shop/locale, console/locale
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env_str("STOREFRONT_STATIC_ROOT") or REPO_ROOT / ".data" / "storefront-static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
# whitenoise serves the app's static files itself (also with DEBUG off, without
# collectstatic); long cache headers come from its defaults.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
