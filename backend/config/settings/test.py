"""Settings for the test suite: base settings with fast hashing and a private media folder."""

import os
import tempfile

os.environ.setdefault(
    "SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"
)
os.environ["DEBUG"] = "0"

from config.settings.base import *  # noqa: F403 -- a settings module extends the base one

# Argon2 stays the hasher (the tests check it); these parameters only make it cheap.
PASSWORD_HASHERS = ["alliance.accounts.hashers.FastArgon2PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="alliance-test-media-")
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One test database per pytest process, so several runs can share a server.
DATABASES["default"]["TEST"] = {"NAME": f"test_alliance_{os.getpid()}"}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
