"""Staff close the month in the console and read the reconciliation dashboard, against the
served demo county: generate, review with drill-down, confirm (refused while the period is
open), record a payout, export the statements to XLSX and check the file's totals against
the backend's reconciliation query."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e._browser import Axe
from tests.e2e.console_helpers import STAFF, sign_in
from tests.e2e.stack import Stack

Shot = Callable[[Page, str], Path]

TOTALS = "{ allianceTotals { tonnes value { amount } } }"
SHORT_TRANSFER_SETUP = """
query($warehouses: [ID!]) {
  stocks(first: 100, filter: {onHandOnly: true, warehouses: $warehouses}) {
    edges { node { id quantityAvailable warehouse { id } } } } }"""
DISPATCH = """
mutation($input: StockTransferDispatchInput!) { stockTransferDispatch(input: $input) {
  transfer { id code lines { id quantity } } errors { code message } } }"""
RECEIVE = """
mutation($input: StockTransferReceiveInput!) { stockTransferReceive(input: $input) {
  transfer { code status } errors { code message } } }"""
RECONCILIATION = """
query($period: String!) { reconciliation(period: $period) {
  discrepancies(kind: TRANSFER_SHORT) { message records { type id label } }
  statements { total { statements lines weightKg gross { amount } refunds { amount }
  commission { amount } netPayable { amount } paid { amount } } } } }"""


def _short_transfer(stack: Stack, token: str) -> str:
    """A transfer received one unit short (set-up through the API), for the dashboard."""
    villages = stack.graphql("{ warehouses(kind: VILLAGE) { id } }")["warehouses"]
    data = stack.graphql(
        SHORT_TRANSFER_SETUP, {"warehouses": [w["id"] for w in villages]}, token=token
    )
    stock = next(e["node"] for e in data["stocks"]["edges"] if e["node"]["quantityAvailable"] >= 3)
    sent = stack.graphql(
        DISPATCH,
        {
            "input": {
                "source": stock["warehouse"]["id"],
                "lines": [{"stock": stock["id"], "quantity": 3}],
            }
        },
        token=token,
    )["stockTransferDispatch"]
    assert sent["errors"] == []
    line = sent["transfer"]["lines"][0]
    received = stack.graphql(
        RECEIVE,
        {
            "input": {
                "transfer": sent["transfer"]["id"],
                "lines": [{"line": line["id"], "quantityReceived": 2, "shortfallReason": "破损"}],
            }
        },
        token=token,
    )["stockTransferReceive"]
    assert received["errors"] == []
    return str(sent["transfer"]["code"])


def test_dashboard_shows_totals_charts_and_discrepancies_with_links(
    e2e_stack: Stack, page: Page, shot: Shot, axe: Axe, artifacts_dir: Path
) -> None:
    token = e2e_stack.token_for(STAFF)
    code = _short_transfer(e2e_stack, token)
    totals = e2e_stack.graphql(TOTALS)["allianceTotals"]
    sign_in(page, e2e_stack, STAFF)

    response = page.goto(e2e_stack.storefront_url + "/console/dashboard/")
    assert response is not None and response.status == 200
    timing = response.headers.get("server-timing", "")
    assert re.search(r"app;dur=\d", timing), timing
    expect(page.get_by_test_id("total-tonnes")).to_have_text(f"{totals['tonnes']} 吨")
    expect(page.get_by_test_id("total-value")).to_have_text(
        f"¥{Decimal(totals['value']['amount']):,.2f}"
    )
    # eight server-drawn SVG charts, no script and no external resource
    expect(page.locator("svg.c-chart")).to_have_count(8)
    assert page.locator("script[src^='http']").count() == 0
    shot(page, "staff-dashboard")
    axe.assert_clean(page, "staff-dashboard")
    # the page's server time on the demo county (reported, not asserted): three warm loads
    timings = []
    for _ in range(3):
        again = page.reload()
        assert again is not None
        timings.append(again.headers.get("server-timing", ""))
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    (artifacts_dir / "dashboard-server-timing.json").write_text(
        json.dumps({"first": timing, "warm": timings}, ensure_ascii=False, indent=1)
    )

    # the short transfer is listed, and its record opens from the list
    link = page.get_by_test_id("discrepancies").get_by_role("link", name=f"Transfer {code}")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("h1")).to_contain_text(code)
    expect(page.locator("td", has_text="破损")).to_be_visible()
    shot(page, "staff-dashboard-record")


STATEMENT = """
query($id: ID!) { statement(id: $id) { status lineCount gross { amount }
  netPayable { amount } paidAmount { amount } lines(first: 100) { totalCount } } }"""


def test_staff_month_close_generate_review_confirm_and_pay(
    e2e_stack: Stack, page: Page, shot: Shot
) -> None:
    token = e2e_stack.token_for(STAFF)
    current = _this_month(e2e_stack)
    sign_in(page, e2e_stack, STAFF)

    # 1. generate the open month's drafts
    page.goto(f"{e2e_stack.storefront_url}/console/month-close/?period={current}")
    page.get_by_role("button", name=f"生成 {current} 的结算单").click()
    expect(page.locator(".c-msg")).to_contain_text("张结算单草稿")
    shot(page, "staff-month-close")
    drafts = page.get_by_test_id("statements").locator("tbody tr", has_text="草稿")
    assert drafts.count() > 0

    # 2. review: drill down from a village's total to its lines
    drafts.first.get_by_role("link").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("草稿")
    statement_id = page.url.rstrip("/").rsplit("/", 1)[1]
    state = e2e_stack.graphql(STATEMENT, {"id": statement_id}, token=token)["statement"]
    assert state["lines"]["totalCount"] == state["lineCount"] > 0
    expect(page.get_by_test_id("statement-lines").locator("tbody tr")).to_have_count(
        min(state["lineCount"], 100)
    )
    shot(page, "staff-statement-draft")

    # 3. confirming while the month is open: the backend refuses, in words, nothing changes
    page.get_by_role("button", name="确认结算单").click()
    expect(page.locator(".c-msg-error")).to_contain_text("PERIOD_OPEN")
    again = e2e_stack.graphql(STATEMENT, {"id": statement_id}, token=token)["statement"]
    assert again["status"] == "DRAFT"

    # 4. the last ended month is confirmed and partly paid: record the rest
    page.goto(
        f"{e2e_stack.storefront_url}/console/month-close/?period={_last_ended_month(e2e_stack)}"
    )
    confirmed = page.get_by_test_id("statements").locator("tbody tr", has_text="已确认")
    assert confirmed.count() > 0, "the demo county leaves its last ended month partly paid"
    confirmed.first.get_by_role("link").click()
    statement_id = page.url.rstrip("/").rsplit("/", 1)[1]
    before = e2e_stack.graphql(STATEMENT, {"id": statement_id}, token=token)["statement"]
    remaining = Decimal(before["netPayable"]["amount"]) - Decimal(before["paidAmount"]["amount"])
    assert Decimal(page.get_by_label(re.compile("付款金额")).input_value()) == remaining
    page.get_by_label("银行流水号").fill("E2E-PAYOUT-0001")
    shot(page, "staff-statement-payout")
    page.get_by_role("button", name="记录付款").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已付款")
    after = e2e_stack.graphql(STATEMENT, {"id": statement_id}, token=token)["statement"]
    assert after["status"] == "PAID"
    assert after["paidAmount"] == after["netPayable"]
    shot(page, "staff-statement-paid")


def _this_month(stack: Stack) -> str:
    (today,) = stack.sql("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")[0]
    return f"{today.year:04d}-{today.month:02d}"


def _sheet_totals(content: bytes) -> list[object]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "合计"]
    assert len(rows) == 1, "the summary sheet ends with one 合计 row"
    return list(rows[0])


def test_staff_export_statements_to_xlsx_and_the_totals_match_reconciliation(
    e2e_stack: Stack, page: Page, shot: Shot
) -> None:
    period = _last_ended_month(e2e_stack)
    token = e2e_stack.token_for(STAFF)
    sign_in(page, e2e_stack, STAFF)
    page.goto(e2e_stack.storefront_url + "/console/exports/")
    page.get_by_label("内容").select_option("STATEMENTS")
    page.get_by_label("格式").select_option("XLSX")
    page.get_by_label(re.compile("期间")).fill(period)
    shot(page, "staff-exports")
    page.get_by_role("button", name="开始导出").click()
    expect(page.get_by_test_id("export-status")).to_have_text("已完成", timeout=60_000)
    shot(page, "staff-export-done")
    with page.expect_download() as waiting:
        page.get_by_test_id("export-download").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    content = Path(download.path()).read_bytes()

    totals = _sheet_totals(content)
    expected = e2e_stack.graphql(RECONCILIATION, {"period": period}, token=token)["reconciliation"][
        "statements"
    ]["total"]
    lines, weight_kg, gross, refunds, commission, net, paid = totals[3:10]
    assert lines == expected["lines"]
    assert Decimal(str(weight_kg)) == Decimal(expected["weightKg"])
    assert Decimal(str(gross)).quantize(Decimal("0.01")) == Decimal(expected["gross"]["amount"])
    assert Decimal(str(refunds)).quantize(Decimal("0.01")) == Decimal(expected["refunds"]["amount"])
    assert Decimal(str(commission)).quantize(Decimal("0.01")) == Decimal(
        expected["commission"]["amount"]
    )
    assert Decimal(str(net)).quantize(Decimal("0.01")) == Decimal(expected["netPayable"]["amount"])
    assert Decimal(str(paid)).quantize(Decimal("0.01")) == Decimal(expected["paid"]["amount"])
    assert expected["lines"] > 0, "the demo county's last ended month has settled lines"


def _last_ended_month(stack: Stack) -> str:
    (today,) = stack.sql("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")[0]
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"
