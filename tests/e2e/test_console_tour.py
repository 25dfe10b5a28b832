"""Every console page a role works in, opened in Chromium as that role: it answers, shows
its heading and the role's navigation (and not another role's), passes axe (no serious or
critical violation), and leaves a screenshot. The flows themselves are tested in
test_console_flow.py and test_console_month.py; this covers the pages they do not open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e._browser import Axe
from tests.e2e.console_helpers import OPERATOR, SECRETARY, STAFF, sign_in
from tests.e2e.stack import Stack

Shot = Callable[[Page, str], Path]

PAGES = {
    OPERATOR: ["/console/", "/console/fulfil/", "/console/statements/"],
    SECRETARY: ["/console/", "/console/sales/", "/console/statements/"],
    STAFF: ["/console/", "/console/statements/"],
}
NAV_ONLY_FOR_STAFF = "/console/counter/"


def test_console_login_page_is_accessible(e2e_stack: Stack, page: Page, shot: Shot, axe: Axe):
    answer = page.goto(e2e_stack.storefront_url + "/console/login/")
    assert answer is not None and answer.status == 200
    assert page.get_by_label("邮箱").is_visible() and page.get_by_label("密码").is_visible()
    shot(page, "login")
    axe.assert_clean(page, "login")


@pytest.mark.parametrize("email", [OPERATOR, SECRETARY, STAFF])
def test_each_role_opens_its_pages(
    e2e_stack: Stack, phone_page: Page, page: Page, shot: Shot, axe: Axe, email: str
):
    tab = phone_page if email == OPERATOR else page  # operators work on their phones
    sign_in(tab, e2e_stack, email)
    role = email.split("@")[0]
    for path in PAGES[email]:
        answer = tab.goto(e2e_stack.storefront_url + path)
        assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
        assert tab.locator("h1").first.inner_text().strip(), f"{path} has no heading"
        name = role + "-" + (path.strip("/").replace("/", "-") or "home")
        shot(tab, name)
        axe.assert_clean(tab, name)

    staff_links = tab.locator(f'a[href="{NAV_ONLY_FOR_STAFF}"]').count()
    if email == STAFF:
        assert staff_links >= 1
    else:
        assert staff_links == 0, f"{role} is shown the counter"


def test_a_statement_drills_down_to_its_lines(e2e_stack: Stack, page: Page, shot: Shot, axe: Axe):
    sign_in(page, e2e_stack, SECRETARY)
    page.goto(e2e_stack.storefront_url + "/console/statements/")
    first = page.locator('a[href^="/console/statements/"]').first
    first.click()
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() >= 1
    shot(page, "secretary-statement")
    axe.assert_clean(page, "secretary-statement")
