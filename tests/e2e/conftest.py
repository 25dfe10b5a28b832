"""Fixtures of the browser tests (tests/e2e): a served stack, Chromium pages, axe, screenshots.

- e2e_stack (session, defined in tests/conftest.py so that tests/storefront shares it):
  tests/e2e/stack.py Stack, started once: backend_url, storefront_url,
  database_url, graphql(), graphql_response(), token_for(), sql(), manage(),
  start_storefront().
- browser (session): Debian's /usr/bin/chromium through Playwright's sync API.
- page / phone_page (per test): a desktop (1280x800) or phone (390x844 @3x, touch) page,
  zh-CN, Asia/Shanghai, 15 s timeouts; a failing test leaves failure-desktop.png or
  failure-phone.png in its artifacts folder.
- axe (per test): axe.check(page, name) -> violations, axe.assert_clean(page, name).
- shot (per test): shot(page, name) -> path of a full-page PNG.
- artifacts_dir (per test): <ARTIFACTS_DIR or artifacts>/e2e/<module>.<test>/ (not created).

Every test here is marked `e2e` and runs after the rest of the suite: while Playwright's sync
API is alive an asyncio loop runs in the main thread, and Django's ORM refuses to run there.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e._browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_TIMEOUT_MS,
    DESKTOP,
    PHONE,
    Axe,
    artifacts_root,
    missing_browser_parts,
    safe_name,
    screenshot,
)

E2E_DIR = Path(__file__).resolve().parent


def _is_e2e(item: pytest.Item) -> bool:
    return Path(item.path).is_relative_to(E2E_DIR)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker; pytest-django's sort is stable
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    e2e = [item for item in items if _is_e2e(item)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    if e2e:
        items[:] = [item for item in items if not _is_e2e(item)] + e2e


_REPORTS = pytest.StashKey[dict[str, Any]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    if _is_e2e(item):
        item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_REPORTS, {})
    return any(report.failed for report in reports.values())


def _test_folder(node: pytest.Item) -> Path:
    return artifacts_root() / safe_name(f"{Path(node.path).stem}.{node.name}")


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """This test's artifacts folder, emptied of a previous run's files (created on demand)."""
    folder = _test_folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    problems = missing_browser_parts()
    if problems:
        pytest.fail(
            "The browser tests need " + " and ".join(problems) + ". scripts/test installs them "
            "(apt-get install -y chromium fonts-wqy-microhei, as root).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _context(browser: Browser, options: dict[str, Any]) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


def _page(
    browser: Browser,
    options: dict[str, Any],
    request: pytest.FixtureRequest,
    folder: Path,
    label: str,
) -> Iterator[Page]:
    context = _context(browser, options)
    page = context.new_page()
    try:
        yield page
    finally:
        if _failed(request) and not page.is_closed():
            # the page may be gone; the failure itself is what matters
            with contextlib.suppress(Exception):
                screenshot(page, folder, f"failure-{label}")
        context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, artifacts_dir: Path) -> Iterator[Page]:
    """A desktop page: 1280x800, zh-CN, Asia/Shanghai, 15 s default timeouts."""
    yield from _page(browser, DESKTOP, request, artifacts_dir, "desktop")


@pytest.fixture
def phone_page(
    browser: Browser, request: pytest.FixtureRequest, artifacts_dir: Path
) -> Iterator[Page]:
    """A phone page: 390x844 at 3x, is_mobile, touch, an Android Chrome user agent."""
    yield from _page(browser, PHONE, request, artifacts_dir, "phone")


@pytest.fixture
def axe(artifacts_dir: Path) -> Axe:
    return Axe(artifacts_dir)


@pytest.fixture
def shot(artifacts_dir: Path) -> Callable[[Page, str], Path]:
    """shot(page, name): a full-page screenshot at <artifacts_dir>/<name>.png; its path."""

    def take(page: Page, name: str) -> Path:
        return screenshot(page, artifacts_dir, name)

    return take
