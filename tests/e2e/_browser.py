"""Browser helpers of the e2e tests: where artifacts go, Chromium's launch, axe-core, shots."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# installed by scripts/test (scripts/_setup.sh ensure_browser_deps, pinned AXE_CORE_VERSION)
AXE_JS = ROOT / ".data" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000
DESKTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Mobile Safari/537.36"
    ),
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
BLOCKING_IMPACTS = ("serious", "critical")


def artifacts_root() -> Path:
    """<ARTIFACTS_DIR or ./artifacts>/e2e (git-ignored), created on demand by the writers."""
    base = os.environ.get("ARTIFACTS_DIR", "").strip()
    return (Path(base) if base else ROOT / "artifacts").resolve() / "e2e"


def safe_name(name: str) -> str:
    """A file or folder name from a test id or a caller's label."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "unnamed"


def missing_browser_parts() -> list[str]:
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} (Debian package chromium)")
    if not CJK_FONT.exists():
        problems.append(f"{CJK_FONT} (Debian package fonts-wqy-microhei)")
    return problems


def screenshot(page: Page, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class Axe:
    """axe-core in the page: check() returns violations, assert_clean() fails on serious ones.

    The full axe result of every check is written to <folder>/axe-<name>.json.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.results: dict[str, dict[str, Any]] = {}

    def _inject(self, page: Page) -> None:
        if page.evaluate("typeof window.axe === 'object'"):
            return
        if not AXE_JS.exists():
            raise AssertionError(
                f"axe-core is not installed ({AXE_JS} missing): run scripts/test, which "
                "installs it with npm into .data/npm"
            )
        # Evaluated through the DevTools protocol: a Content-Security-Policy cannot block it
        # (page.add_script_tag adds an inline <script> that a strict CSP refuses).
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")

    def run(
        self,
        page: Page,
        name: str,
        *,
        context: Any = None,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The whole axe result (also saved as JSON). context/options go to axe.run()."""
        self._inject(page)
        result = page.evaluate(
            "([context, options]) => context === null"
            " ? window.axe.run(document, options) : window.axe.run(context, options)",
            [context, options or {}],
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"axe-{safe_name(name)}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        self.results[name] = result
        return result

    def check(
        self,
        page: Page,
        name: str,
        *,
        context: Any = None,
        options: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """axe's violations (every impact) of the page as it is now."""
        return self.run(page, name, context=context, options=options)["violations"]

    def assert_clean(
        self,
        page: Page,
        name: str,
        *,
        impacts: tuple[str, ...] = BLOCKING_IMPACTS,
        context: Any = None,
        options: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Fail listing every violation whose impact is in `impacts`; return all violations."""
        violations = self.check(page, name, context=context, options=options)
        blocking = [v for v in violations if v.get("impact") in impacts]
        if blocking:
            raise AssertionError(
                f"axe found {len(blocking)} {'/'.join(impacts)} violation(s) on {page.url} "
                f"({name}; full result in {self.folder / f'axe-{safe_name(name)}.json'}):\n"
                + "\n".join(describe(v) for v in blocking)
            )
        return violations


def describe(violation: dict[str, Any]) -> str:
    nodes = violation.get("nodes", [])
    targets = "; ".join(" ".join(map(str, node.get("target", []))) for node in nodes[:10])
    more = f" (+{len(nodes) - 10} more)" if len(nodes) > 10 else ""
    return (
        f"- [{violation.get('impact')}] {violation.get('id')}: {violation.get('help')}"
        f" -> {targets}{more}"
    )
