"""Statements to XLSX and CSV: headers, every line, exact amounts, kilograms, local times."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from alliance.reports.models import ExportJob
from alliance.settlement.models import StatementLine
from tests.backend.exports.builders import small_period
from tests.backend.exports.helpers import (
    csv_sections,
    csv_text,
    export,
    money,
    xlsx_sheets,
    xlsx_workbook,
)
from tests.backend.factories.accounts import staff

pytestmark = pytest.mark.django_db

SUMMARY_HEADER = [
    "村", "结算单号", "状态", "行数", "重量(公斤)", "销售额", "退款", "佣金", "应付净额", "已付",
]  # fmt: skip
LINES_HEADER = [
    "结算单号", "村", "类型", "订单号", "渠道", "经营主体", "品类", "SKU", "商品",
    "时间", "数量", "重量(公斤)", "金额", "佣金率", "佣金", "净额",
]  # fmt: skip


@pytest.fixture
def settled():
    return small_period("2026-10")


def test_xlsx_has_a_summary_and_every_line_with_exact_amounts(
    settled, django_capture_on_commit_callbacks
):
    job = export(django_capture_on_commit_callbacks, staff(), period="2026-10")

    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file_name == "结算单-2026-10.xlsx"
    assert job.file.name.startswith("exports/") and job.file.name.endswith(".xlsx")
    sheets = xlsx_sheets(job)
    assert list(sheets) == ["汇总", "明细"]
    summary, lines = sheets["汇总"], sheets["明细"]
    assert summary[0] == SUMMARY_HEADER
    assert lines[0] == LINES_HEADER

    # One summary row per statement (village code order), then 合计.
    statements = sorted(settled.statements, key=lambda s: s.village.code)
    assert [row[1] for row in summary[1:-1]] == [s.number for s in statements]
    for row, statement in zip(summary[1:-1], statements, strict=True):
        assert row[0] == statement.village.name
        assert row[2] == "草稿"
        assert row[3] == statement.line_count
        assert Decimal(repr(row[4])) == Decimal(statement.weight_g) / 1000
        assert [money(v) for v in row[5:10]] == [
            statement.gross,
            statement.refunds,
            statement.commission,
            statement.net_payable,
            statement.paid_amount,
        ]
    total = summary[-1]
    assert total[0] == "合计"
    assert money(total[8]) == sum(s.net_payable for s in statements)

    # Every statement line once, and per statement the lines add up to its totals exactly.
    body = lines[1:]
    expected = StatementLine.objects.filter(statement__period=settled.period)
    assert len(body) == expected.count() == 6
    assert sorted(r[3] for r in body) == sorted(expected.values_list("order_number", flat=True))
    for statement in statements:
        rows = [r for r in body if r[0] == statement.number]
        assert len(rows) == statement.line_count
        sales = sum(money(r[12]) for r in rows if r[2] == "销售")
        refunds = -sum(money(r[12]) for r in rows if r[2] == "退款调整")
        fees = sum(money(r[14]) for r in rows)
        nets = sum(money(r[15]) for r in rows)
        assert (sales, refunds, fees) == (statement.gross, statement.refunds, statement.commission)
        assert nets == statement.net_payable
        grams = sum(Decimal(repr(r[11])) * 1000 for r in rows)
        assert grams == statement.weight_g

    refund = next(r for r in body if r[2] == "退款调整")
    assert refund[8] == "槐花蜂蜜" and refund[10] == -1 and money(refund[12]) == Decimal("-12.35")
    assert money(refund[14]) == Decimal("-0.90")  # 12.35 x 7.25 % = 0.895375 -> 0.90
    rice = next(r for r in body if r[8] == "小米")
    assert rice[11] == 1.25 and rice[13] == 0.0725  # kg; the rate as a fraction (shown 7.25%)
    assert rice[4] == "联盟基地门店"  # the channel's name
    # A product called "=1+2 果酱" stays text, never a formula.
    assert any(r[8] == "=1+2 果酱" for r in body)
    # Times are Asia/Shanghai wall-clock times.
    line = StatementLine.objects.filter(statement__period=settled.period).order_by("id").first()
    row = next(r for r in body if r[3] == line.order_number and r[7] == line.sku)
    assert isinstance(row[9], datetime)
    assert row[9] == timezone.localtime(line.occurred_at).replace(tzinfo=None, microsecond=0)


def test_xlsx_numbers_are_stored_with_at_most_two_decimals_and_formatted(
    settled, django_capture_on_commit_callbacks
):
    job = export(django_capture_on_commit_callbacks, staff(), period="2026-10")
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        lines_xml = archive.read("xl/worksheets/sheet2.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert "xl/sharedStrings.xml" not in names  # inline strings: no table grows in memory
    # Column M (金额): every value is the exact Decimal text with at most two decimals.
    amounts = re.findall(r'<c r="M(\d+)"[^>]*>(?:<v>([^<]*)</v>)', lines_xml)
    assert len(amounts) == 6
    for _, text in amounts:
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", text), text
    stored = sorted(Decimal(text) for _, text in amounts)
    assert stored == sorted(
        StatementLine.objects.filter(statement__period=settled.period).values_list(
            "gross", flat=True
        )
    )
    assert "<pane" in lines_xml and 'topLeftCell="A2"' in lines_xml  # header row frozen
    assert 'formatCode="0.000"' in styles  # 0.00 is one of Excel's built-in formats
    sheet = xlsx_workbook(job)["明细"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    row = sheet[2]
    assert [row[i].number_format for i in (9, 10, 11, 12, 13, 14, 15)] == [
        "yyyy-mm-dd hh:mm:ss", "General", "0.000", "0.00", "0.00%", "0.00", "0.00",
    ]  # fmt: skip
    assert row[8].data_type == "s"


def test_csv_is_utf8_with_bom_and_amounts_as_two_decimal_text(
    settled, django_capture_on_commit_callbacks
):
    job = export(django_capture_on_commit_callbacks, staff(), format="csv", period="2026-10")

    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file_name == "结算单-2026-10.csv"
    raw, rows = csv_text(job)
    assert raw.startswith(b"\xef\xbb\xbf")
    sections = csv_sections(rows)
    assert list(sections) == ["汇总", "明细"]
    assert sections["汇总"][0] == SUMMARY_HEADER
    assert sections["明细"][0] == LINES_HEADER
    body = sections["明细"][1:]
    assert len(body) == 6
    for row in body:
        for column in (12, 14, 15):
            assert re.fullmatch(r"-?\d+\.\d{2}", row[column]), row
        assert re.fullmatch(r"-?\d+\.\d{3}", row[11]), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row[9]), row
        assert row[13] == "0.0725"
    for statement in settled.statements:
        rows = [r for r in body if r[0] == statement.number]
        assert sum(Decimal(r[15]) for r in rows) == statement.net_payable
        summary = next(r for r in sections["汇总"] if r[1] == statement.number)
        assert summary[5:9] == [
            f"{statement.gross}",
            f"{statement.refunds}",
            f"{statement.commission}",
            f"{statement.net_payable}",
        ]
    honey_refund = next(r for r in body if r[2] == "退款调整")
    assert honey_refund[12] == "-12.35" and honey_refund[10] == "-1"
    # Text that a spreadsheet would run as a formula is quoted.
    assert any(r[8] == "'=1+2 果酱" for r in body)


def test_one_village_only(settled, django_capture_on_commit_callbacks):
    village = settled.villages[1]
    job = export(
        django_capture_on_commit_callbacks, staff(), format="csv", period="2026-10",
        village=village.pk,
    )  # fmt: skip
    assert job.file_name == f"结算单-2026-10-{village.name}.csv"
    sections = csv_sections(csv_text(job)[1])
    assert [r[0] for r in sections["汇总"][1:]] == [village.name, "合计"]
    assert {r[1] for r in sections["明细"][1:]} == {village.name}
    assert len(sections["明细"]) - 1 == 2


def test_progress_reaches_the_total_of_rows(settled, django_capture_on_commit_callbacks, settings):
    settings.EXPORT_PROGRESS_EVERY_ROWS = 2
    job = export(django_capture_on_commit_callbacks, staff(), period="2026-10")
    # 2 statements + 合计 + 6 lines
    assert (job.progress_done, job.progress_total) == (9, 9)
    assert job.finished_at is not None and job.error == ""


def test_an_empty_village_gives_headers_and_zero_totals(django_capture_on_commit_callbacks):
    from alliance.settlement.periods import period_for_code
    from tests.backend.exports.builders import statement_for
    from tests.backend.factories.villages import VillageFactory

    period = period_for_code("2026-09")
    statement_for(period, VillageFactory())
    job = export(django_capture_on_commit_callbacks, staff(), period="2026-09")
    sheets = xlsx_sheets(job)
    assert sheets["明细"] == [LINES_HEADER]
    assert sheets["汇总"][-1][0] == "合计" and money(sheets["汇总"][-1][8]) == Decimal("0.00")
