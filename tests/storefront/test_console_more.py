"""More console pages through Django's test client, against the real backend (DEBUG off):
fulfilment, the village sales report, statements, the stock count and the CSV export.

Set-up goes through the backend's GraphQL API over HTTP (tokens from tokenCreate); what the
console did is read back from the backend as the same user or as staff.
"""

from __future__ import annotations

import csv
import html
import io
import re
import time
from decimal import Decimal
from typing import Any

from django.test import Client

from tests.e2e.stack import Stack
from tests.storefront.test_console_views import _csrf, _messages, _sign_in

OPERATOR = "operator@example.com"
SECRETARY = "secretary@example.com"
STAFF = "staff@example.com"
CONSUMER = "consumer@example.com"

ME = "{ me { village { id name } producers { id village { id name } } } }"
ONLINE_VARIANTS = """
query($producers: [ID!]) {
  products(first: 50, channel: "online", filter: {producers: $producers, inStock: true}) {
    edges { node { name variants { id sku quantityAvailable(channel: "online") } } } } }"""
STOCKS = """
query($filter: StockFilterInput) {
  stocks(first: 100, filter: $filter) { edges { node {
    id quantity allocated quantityAvailable
    warehouse { id name kind village { id name } }
    variant { id sku } lot { code } } } } }"""
CHECKOUT_CREATE = """
mutation($input: CheckoutCreateInput!) { checkoutCreate(input: $input) {
  checkout { token } errors { field code message } } }"""
CHECKOUT_ADDRESS = """
mutation($token: UUID!, $address: ShippingAddressInput!) {
  checkoutShippingAddressUpdate(token: $token, address: $address) { errors { code message } } }"""
CHECKOUT_DELIVERY = """
mutation($token: UUID!) {
  checkoutDeliveryMethodUpdate(token: $token, method: DELIVERY) { errors { code message } } }"""
CHECKOUT_COMPLETE = """
mutation($token: UUID!) { checkoutComplete(token: $token) {
  order { id number } errors { field code message } } }"""
PAYMENT_CREATE = """
mutation($order: ID!) { orderPaymentCreate(order: $order, gateway: DEMO) {
  payment { id } errors { code message } } }"""
PAYMENT_CONFIRM = """
mutation($payment: ID!) { orderPaymentDemoConfirm(payment: $payment) {
  order { status paymentStatus } errors { code message } } }"""
ORDER = """
query($number: String!) { order(number: $number) { id number status
  lines { id sku quantity quantityFulfilled } } }"""


def _ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["errors"] == [], payload["errors"]
    return payload


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def _text(content: bytes) -> str:
    """The page's text, tags stripped and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content.decode())).split())


# --- 1. fulfilment -----------------------------------------------------------------------------


def _paid_order(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A paid online delivery order for one unit of the demo operator's product: (order as
    staff reads it, the stock row the unit was taken from)."""
    operator = stack.token_for(OPERATOR)
    me = stack.graphql(ME, token=operator)["me"]
    producers = [p["id"] for p in me["producers"]]
    villages = {p["village"]["id"] for p in me["producers"]}
    products = stack.graphql(ONLINE_VARIANTS, {"producers": producers}, token=operator)
    variants = [v for p in _nodes(products["products"]) for v in p["variants"]]
    rows = _nodes(
        stack.graphql(
            STOCKS, {"filter": {"producers": producers, "onHandOnly": True}}, token=operator
        )["stocks"]
    )
    available = {v["id"] for v in variants if v["quantityAvailable"] >= 1}
    stock = next(
        r
        for r in rows
        if r["variant"]["id"] in available
        and r["quantityAvailable"] >= 1
        and r["warehouse"]["kind"] == "VILLAGE"
        and (r["warehouse"]["village"] or {}).get("id") in villages
    )
    consumer = stack.token_for(CONSUMER)
    token = _ok(
        stack.graphql(
            CHECKOUT_CREATE,
            {"input": {"lines": [{"variant": stock["variant"]["id"], "quantity": 1}]}},
            token=consumer,
        )["checkoutCreate"]
    )["checkout"]["token"]
    address = {
        "province": "甘肃省",
        "city": "定西市",
        "district": "安定区",
        "street": "中华路 1 号",
        "recipient": "王小明",
        "phone": "13800138000",
    }
    variables = {"token": token, "address": address}
    _ok(stack.graphql(CHECKOUT_ADDRESS, variables, token=consumer)["checkoutShippingAddressUpdate"])
    _ok(
        stack.graphql(CHECKOUT_DELIVERY, {"token": token}, token=consumer)[
            "checkoutDeliveryMethodUpdate"
        ]
    )
    order = _ok(
        stack.graphql(CHECKOUT_COMPLETE, {"token": token}, token=consumer)["checkoutComplete"]
    )["order"]
    payment = _ok(
        stack.graphql(PAYMENT_CREATE, {"order": order["id"]}, token=consumer)["orderPaymentCreate"]
    )["payment"]
    paid = _ok(
        stack.graphql(PAYMENT_CONFIRM, {"payment": payment["id"]}, token=consumer)[
            "orderPaymentDemoConfirm"
        ]
    )["order"]
    assert paid["paymentStatus"] == "FULLY_CHARGED", paid
    staff = stack.token_for(STAFF)
    return stack.graphql(ORDER, {"number": order["number"]}, token=staff)["order"], stock


def _order_section(content: bytes, number: str) -> str:
    page = content.decode()
    match = re.search(
        rf'<section class="c-section c-order">\s*<h2>订单 {re.escape(number)} .*?</section>',
        page,
        re.S,
    )
    assert match, f"order {number} is not on the fulfilment page"
    return match.group(0)


def test_operator_fulfils_a_paid_order_line_once(shop: Client, backend_stack: Stack) -> None:
    order, stock = _paid_order(backend_stack)
    (line,) = order["lines"]
    staff = backend_stack.token_for(STAFF)
    _sign_in(shop, OPERATOR)

    listed = shop.get("/console/fulfil/")

    assert listed.status_code == 200
    section = _order_section(listed.content, order["number"])
    # the line is grouped under its order, with its remaining quantity prefilled
    assert f'name="qty_{line["id"]}" value="1"' in section
    assert f'value="{order["id"]}"' in section
    assert f'<option value="{stock["warehouse"]["id"]}"' in section
    form = {
        "order": order["id"],
        f"qty_{line['id']}": "1",
        "warehouse": stock["warehouse"]["id"],
        "tracking_number": "SF1234567890",
        "csrfmiddlewaretoken": _csrf(shop, "/console/fulfil/"),
    }

    nothing = shop.post("/console/fulfil/", {**form, f"qty_{line['id']}": "0"}, follow=True)
    negative = shop.post("/console/fulfil/", {**form, f"qty_{line['id']}": "-1"}, follow=True)
    unchanged = backend_stack.graphql(ORDER, {"number": order["number"]}, token=staff)["order"]
    done = shop.post("/console/fulfil/", form, follow=True)

    # no quantity at all is not "everything": the console says so and sends nothing
    assert "未发货：请至少填写一行的发货数量。" in _messages(nothing.content)
    assert "未发货：发货数量“-1”不是非负整数。" in _messages(negative.content)
    assert unchanged == order
    shown = _messages(done.content)
    assert any(order["number"] in m and "SF1234567890" in m for m in shown), shown
    after = backend_stack.graphql(ORDER, {"number": order["number"]}, token=staff)["order"]
    assert after["status"] == "FULFILLED"
    assert after["lines"][0]["quantityFulfilled"] == 1
    assert f"<h2>订单 {order['number']} " not in done.content.decode()  # nothing left
    rows_after = backend_stack.sql(
        "SELECT count(*) FROM orders_fulfillment f JOIN orders_order o ON o.id = f.order_id "
        "WHERE o.number = %s",
        [order["number"]],
    )

    again = shop.post("/console/fulfil/", form, follow=True)

    refused = _messages(again.content)
    assert any(m.startswith("未发货：") and re.search(r"\[[A-Z_]+\]", m) for m in refused), refused
    still = backend_stack.graphql(ORDER, {"number": order["number"]}, token=staff)["order"]
    assert still == after
    assert (
        backend_stack.sql(
            "SELECT count(*) FROM orders_fulfillment f JOIN orders_order o "
            "ON o.id = f.order_id WHERE o.number = %s",
            [order["number"]],
        )
        == rows_after
        == [(1,)]
    )


# --- 2. village sales --------------------------------------------------------------------------

SALES = """
query($period: String!) {
  byMonth: salesReport(period: $period, groupBy: [MONTH]) {
    village { id name }
    rows { month netWeightKg net { amount } }
    totals { orders netWeightKg netWeightTonnes net { amount } } }
  byCategory: salesReport(period: $period, groupBy: [MONTH, CATEGORY_ROOT]) {
    rows { month categoryRoot { name } netWeightKg net { amount } } } }"""


def _shown(number: Decimal) -> str:
    """How charts.bar_chart prints a figure."""
    return f"{number:,.2f}" if number != number.to_integral_value() else f"{number:,.0f}"


def test_secretary_sees_the_village_sales_of_the_backends_report(
    shop: Client, backend_stack: Stack
) -> None:
    token = backend_stack.token_for(SECRETARY)
    village = backend_stack.graphql(ME, token=token)["me"]["village"]
    report = backend_stack.graphql(SALES, {"period": "all"}, token=token)
    months = report["byMonth"]
    assert months["village"]["id"] == village["id"]
    assert months["rows"], "the demo county has sales in the secretary's village"
    _sign_in(shop, SECRETARY)

    response = shop.get("/console/sales/", {"period": "all"})

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="c-chart"') == 4
    text = _text(response.content)
    totals = months["totals"]
    assert (
        f"合计 {totals['netWeightTonnes']} 吨（{totals['netWeightKg']} kg）· "
        f"¥{Decimal(totals['net']['amount']):,.2f} · {totals['orders']} 单"
    ) in text, text[:600]
    assert f"<h1>{village['name']}销售" in page
    for row in months["rows"]:
        kg, yuan = Decimal(row["netWeightKg"]), Decimal(row["net"]["amount"])
        assert f"<title>{row['month']}: {_shown(kg)} kg</title>" in page, row
        assert f"<title>{row['month']}: {_shown(yuan)} 元</title>" in page, row
    by_category: dict[str, Decimal] = {}
    for row in report["byCategory"]["rows"]:
        name = (row["categoryRoot"] or {}).get("name") or "其他"
        by_category[name] = by_category.get(name, Decimal(0)) + Decimal(row["netWeightKg"])
    for name, kg in by_category.items():
        assert f"<title>{html.escape(name)}: {_shown(kg)} kg</title>" in page, name


def test_secretary_cannot_see_another_villages_sales(shop: Client, backend_stack: Stack) -> None:
    token = backend_stack.token_for(SECRETARY)
    own = backend_stack.graphql(ME, token=token)["me"]["village"]
    staff = backend_stack.token_for(STAFF)
    statements = _nodes(
        backend_stack.graphql(STATEMENTS, {"filter": {}}, token=staff)["statements"]
    )
    other = next(s["village"] for s in statements if s["village"]["id"] != own["id"])
    mine = backend_stack.graphql(SALES, {"period": "all"}, token=token)["byMonth"]["totals"]
    _sign_in(shop, SECRETARY)

    forged = shop.get("/console/sales/", {"period": "all", "village": other["id"]})
    bad_period = shop.get("/console/sales/", {"period": "1999-13"})

    # the village comes from the signed-in user, never from the request
    assert forged.status_code == 200
    page = forged.content.decode()
    assert f"<h1>{own['name']}销售" in page
    assert other["name"] not in page
    assert f"（{mine['netWeightKg']} kg）" in _text(forged.content)
    # a period the backend refuses: its words, not a server error
    assert bad_period.status_code == 400
    assert any("后台拒绝了这个报表" in m for m in _messages(bad_period.content))


# --- 3. statements -----------------------------------------------------------------------------

STATEMENTS = """
query($filter: StatementFilterInput) { statements(first: 100, filter: $filter) {
  totalCount edges { node { id number lineCount village { id name } } } } }"""
STATEMENT_LINES = """
query($id: ID!) { statement(id: $id) { number lineCount lines(first: 100) { totalCount
  edges { node { orderNumber sku net { amount } } } } } }"""


def _statement_links(content: bytes) -> list[str]:
    return re.findall(r'href="/console/statements/([^/"]+)/"', content.decode())


def test_operator_and_secretary_read_their_villages_statements_only(
    shop: Client, backend_stack: Stack
) -> None:
    staff = backend_stack.token_for(STAFF)
    everything = _nodes(backend_stack.graphql(STATEMENTS, {}, token=staff)["statements"])
    for email in (OPERATOR, SECRETARY):
        token = backend_stack.token_for(email)
        me = backend_stack.graphql(ME, token=token)["me"]
        villages = {p["village"]["id"] for p in me["producers"]} | (
            {me["village"]["id"]} if me["village"] else set()
        )
        theirs = _nodes(backend_stack.graphql(STATEMENTS, {}, token=token)["statements"])
        assert theirs and {s["village"]["id"] for s in theirs} <= villages, email
        foreign = next(s for s in everything if s["village"]["id"] not in villages)
        _sign_in(shop, email)

        listed = shop.get("/console/statements/")
        detail = shop.get(f"/console/statements/{theirs[0]['id']}/")
        forged = shop.get(f"/console/statements/{foreign['id']}/")

        assert listed.status_code == 200
        assert _statement_links(listed.content) == [s["id"] for s in theirs], email
        assert foreign["number"] not in listed.content.decode()
        assert detail.status_code == 200
        lines = backend_stack.graphql(STATEMENT_LINES, {"id": theirs[0]["id"]}, token=token)
        statement = lines["statement"]
        table = detail.content.decode().split('data-testid="statement-lines"')[1]
        table = table.split("</table>")[0]
        rows = re.findall(r"<tr><td>", table)
        assert len(rows) == min(statement["lineCount"], 100) > 0
        for line in _nodes(statement["lines"])[:5]:
            assert line["orderNumber"] in table and line["sku"] in table
        assert forged.status_code == 404
        assert foreign["number"] not in forged.content.decode()
        assert shop.get("/console/statements/not-an-id/").status_code == 404
        if email == OPERATOR:
            assert shop.get("/console/products/not-an-id/").status_code == 404
        shop.post("/console/logout/", {"csrfmiddlewaretoken": _csrf(shop, "/console/statements/")})


# --- 4. stock count ----------------------------------------------------------------------------

WAREHOUSES = "{ warehouses(kind: VILLAGE) { id village { id } } }"


def _stock_quantity(stack: Stack, token: str, stock: dict[str, Any]) -> int:
    rows = _nodes(
        stack.graphql(STOCKS, {"filter": {"warehouses": [stock["warehouse"]["id"]]}}, token=token)[
            "stocks"
        ]
    )
    return int(next(r for r in rows if r["id"] == stock["id"])["quantity"])


def test_staff_stock_count_adjusts_on_hand_and_an_operator_is_refused(
    shop: Client, backend_stack: Stack
) -> None:
    staff = backend_stack.token_for(STAFF)
    operator = backend_stack.token_for(OPERATOR)
    me = backend_stack.graphql(ME, token=operator)["me"]
    own_villages = {p["village"]["id"] for p in me["producers"]}
    warehouses = backend_stack.graphql(WAREHOUSES)["warehouses"]
    foreign = [w["id"] for w in warehouses if w["village"]["id"] not in own_villages]
    rows = _nodes(
        backend_stack.graphql(
            STOCKS, {"filter": {"onHandOnly": True, "warehouses": foreign}}, token=staff
        )["stocks"]
    )
    stock = next(r for r in rows if r["quantityAvailable"] >= 2)
    before = int(stock["quantity"])
    warehouse = stock["warehouse"]["id"]
    moves = "SELECT count(*) FROM inventory_stockmovement"
    _sign_in(shop, OPERATOR)
    moves_before = backend_stack.sql(moves)

    forged = shop.post(
        "/console/stock/count/",
        {
            "warehouse": warehouse,
            f"counted_{stock['id']}": "0",
            "reason": "伪造盘点",
            "csrfmiddlewaretoken": _csrf(shop, "/console/statements/"),
        },
        follow=True,
    )

    refused = _messages(forged.content)
    assert any(m.startswith("盘点未保存：") and "[" in m for m in refused), refused
    assert _stock_quantity(backend_stack, staff, stock) == before
    assert backend_stack.sql(moves) == moves_before
    shop.post("/console/logout/", {"csrfmiddlewaretoken": _csrf(shop, "/console/statements/")})
    _sign_in(shop, STAFF)
    listed = shop.get("/console/stock/count/", {"warehouse": warehouse})
    assert f'name="counted_{stock["id"]}"' in listed.content.decode()
    mangled = shop.get("/console/stock/count/", {"warehouse": "not-an-id"})
    assert mangled.status_code == 400
    assert any(m.startswith("无法列出库存：") for m in _messages(mangled.content))
    assert shop.get("/console/transfers/", {"source": "not-an-id"}).status_code == 400

    saved = shop.post(
        "/console/stock/count/",
        {
            "warehouse": warehouse,
            f"counted_{stock['id']}": str(before - 1),
            "reason": "月度盘点",
            "csrfmiddlewaretoken": _csrf(shop, "/console/stock/count/"),
        },
        follow=True,
    )

    assert saved.status_code == 200
    assert "盘点已保存，1 项有差异已调整。" in _messages(saved.content)
    assert _stock_quantity(backend_stack, staff, stock) == before - 1
    row = re.search(
        rf'<td>(\d+)</td>\s*<td><input name="counted_{re.escape(stock["id"])}"',
        saved.content.decode(),
    )
    assert row and int(row.group(1)) == before - 1


# --- 5. CSV export -----------------------------------------------------------------------------


def _last_ended_month(stack: Stack) -> str:
    (today,) = stack.sql("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")[0]
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


TOTALS = """
query($filter: StatementFilterInput) { statements(first: 100, filter: $filter) { edges { node {
  number lineCount gross { amount } refunds { amount } commission { amount }
  netPayable { amount } paidAmount { amount } } } } }"""


def _sections(rows: list[list[str]]) -> dict[str, list[dict[str, str]]]:
    """The CSV's titled tables (【汇总】, 【明细】) as lists of dicts."""
    found: dict[str, list[dict[str, str]]] = {}
    title, header = "", None
    for row in rows:
        if not row:
            continue
        if len(row) == 1 and row[0].startswith("【"):
            title, header = row[0].strip("【】"), None
            found[title] = []
        elif header is None:
            header = row
        else:
            found[title].append(dict(zip(header, row, strict=True)))
    return found


def test_staff_exports_statements_as_csv_through_the_console(
    shop: Client, backend_stack: Stack
) -> None:
    period = _last_ended_month(backend_stack)
    staff = backend_stack.token_for(STAFF)
    statements = _nodes(
        backend_stack.graphql(TOTALS, {"filter": {"period": period}}, token=staff)["statements"]
    )
    assert statements, f"the demo county has statements for {period}"
    _sign_in(shop, STAFF)

    started = shop.post(
        "/console/exports/",
        {
            "kind": "STATEMENTS",
            "format": "CSV",
            "period": period,
            "csrfmiddlewaretoken": _csrf(shop, "/console/exports/"),
        },
    )

    assert started.status_code == 302, _messages(started.content)
    status_url = started["Location"]
    assert re.fullmatch(r"/console/exports/[^/]+/", status_url), status_url
    for _ in range(200):  # the backend runs the job at once (eager tasks); poll anyway
        state = shop.get(status_url, HTTP_X_REQUESTED_WITH="XMLHttpRequest").json()
        if state["status"] in ("DONE", "FAILED"):
            break
        time.sleep(0.1)
    assert state["status"] == "DONE", state
    assert shop.get("/console/exports/not-an-id/").status_code == 404
    assert shop.get("/console/exports/not-an-id/download/").status_code == 404
    download = shop.get(status_url + "download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    content = b"".join(download.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    tables = _sections(rows)
    summary, lines = tables["汇总"], tables["明细"]
    assert list(summary[0])[:3] == ["村", "结算单号", "状态"]
    assert "金额" in lines[0] and "净额" in lines[0]
    total_row = summary[-1]
    assert total_row["村"] == "合计"
    by_number = {r["结算单号"]: r for r in summary[:-1]}
    assert set(by_number) == {s["number"] for s in statements}
    columns = {
        "销售额": "gross",
        "退款": "refunds",
        "佣金": "commission",
        "应付净额": "netPayable",
        "已付": "paidAmount",
    }
    for title, key in columns.items():
        expected = sum((Decimal(s[key]["amount"]) for s in statements), Decimal("0.00"))
        assert Decimal(total_row[title]) == expected, title
        assert sum(Decimal(r[title]) for r in by_number.values()) == expected, title
        for s in statements:
            assert Decimal(by_number[s["number"]][title]) == Decimal(s[key]["amount"])
    assert len(lines) == sum(s["lineCount"] for s in statements) == int(total_row["行数"])
    for s in statements:
        own = [r for r in lines if r["结算单号"] == s["number"]]
        assert len(own) == s["lineCount"], s["number"]
        assert sum(Decimal(r["净额"]) for r in own) == Decimal(s["netPayable"]["amount"])
