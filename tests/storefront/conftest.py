"""Storefront tests: its views through Django's test client, against a REAL backend.

The storefront is its own Django project whose settings module is also called
`config.settings`, while this pytest process runs the backend's settings. So the storefront's
settings file and URLconf are loaded under other module names (storefront_settings,
storefront_urls) and applied with override_settings for each test; storefront/ goes on
sys.path for its `shop` and `api` packages. No backend response is mocked: the backend is the
e2e stack's (tests/e2e/stack.py: gunicorn, a fresh database with the demo county).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.e2e.stack import Stack

STOREFRONT = Path(__file__).resolve().parents[2] / "storefront"
# Settings the storefront must not take over from the backend's test process.
KEEP = {"DATABASES", "DEFAULT_AUTO_FIELD"}


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def storefront_settings(**overrides: Any) -> dict[str, Any]:
    """The storefront's settings as its production process has them (DEBUG off)."""
    if str(STOREFRONT) not in sys.path:
        sys.path.insert(0, str(STOREFRONT))
    saved = {k: os.environ.get(k) for k in ("DEBUG", "SECRET_KEY", "STOREFRONT_SESSION_DIR")}
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="storefront-tests-secret-key",
        STOREFRONT_SESSION_DIR=tempfile.mkdtemp(prefix="storefront-sessions-"),
    )
    try:
        module = _load("storefront_settings", STOREFRONT / "config" / "settings.py")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    _load("storefront_urls", STOREFRONT / "config" / "urls.py")
    values = {k: getattr(module, k) for k in dir(module) if k.isupper() and k not in KEEP}
    values["ROOT_URLCONF"] = "storefront_urls"
    values.update(overrides)
    return values


@pytest.fixture(scope="session")
def backend_stack(e2e_stack: Stack) -> Stack:
    """The backend (and a storefront) served from a fresh demo database: the same stack as
    the browser tests', started once per session (tests/conftest.py)."""
    return e2e_stack


@pytest.fixture
def storefront(backend_stack: Stack) -> Iterator[dict[str, Any]]:
    """The storefront's settings in force, pointed at the real backend."""
    values = storefront_settings(BACKEND_URL=backend_stack.backend_url)
    with override_settings(**values):
        from django.core.cache import cache

        cache.clear()
        yield values


@pytest.fixture
def shop(storefront: dict[str, Any]) -> Client:
    """Django's test client on the storefront (CSRF enforced, as in a browser)."""
    return Client(enforce_csrf_checks=True)
