"""Tables (columns + rows, independent of the format) and their XLSX and CSV writers."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from alliance.core.money import quantize
from alliance.core.weight import grams_to_kg

# ---------------------------------------------------------------------------------------------
# Tables: what a sheet holds, independent of the file format

# Column types and the raw value each takes: TEXT anything (written as text, never as a
# formula), INT an integer, MONEY a Decimal (2 places), KG integer grams (written as kg, 3
# places), TONNES a Decimal of tonnes (3 places), RATE a Decimal fraction (0.0500 = 5 %),
# TIME an aware datetime (written in Asia/Shanghai).
TEXT, INT, MONEY, KG, TONNES, RATE, TIME = "text", "int", "money", "kg", "tonnes", "rate", "time"


@dataclass(frozen=True)
class Column:
    title: str
    type: str = TEXT
    width: int = 12


@dataclass
class Table:
    """One sheet: its columns and its rows (an iterable: may stream from the database), with
    raw values as the column types above say; `count` is the number of rows."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    count: int


def _kg(grams: int | None) -> Decimal | None:
    return None if grams is None else grams_to_kg(int(grams))


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _convert(column_type: str, value: Any) -> Any:
    """Raw value -> the exact value to write (Decimal with its places, naive local time)."""
    if value is None:
        return None
    if column_type == MONEY:
        return quantize(value)
    if column_type == KG:
        return _kg(value)
    if column_type == TONNES:
        return Decimal(value).quantize(Decimal("0.001"))
    if column_type == RATE:
        return Decimal(value).quantize(Decimal("0.0001"))
    if column_type == TIME:
        return _local(value)
    if column_type == INT:
        return int(value)
    return str(value)


class Progress:
    """Counts written rows; saves progress_done every `every` rows through `save`."""

    def __init__(self, save: Callable[[int], None], every: int):
        self.save = save
        self.every = max(1, every)
        self.done = 0
        self._saved = 0

    def step(self) -> None:
        self.done += 1
        if self.done - self._saved >= self.every:
            self.save(self.done)
            self._saved = self.done


# ---------------------------------------------------------------------------------------------
# Writers

_XLSX_FORMATS = {
    MONEY: "0.00",
    KG: "0.000",
    TONNES: "0.000",
    RATE: "0.00%",
    TIME: "yyyy-mm-dd hh:mm:ss",
}


def write_xlsx(path: Path, tables: Iterable[Table], progress: Progress) -> None:
    """Write-only openpyxl: each row goes to a temporary file as it is appended and strings
    are inline, so memory does not grow with the rows. Numbers and times get their format
    from a styled cell (one per column, reused: openpyxl writes a row before taking the
    next); other values are given plain, which openpyxl writes fastest."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, 1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        types = [column.type for column in table.columns]
        formatted = []
        for column_type in types:
            cell = None
            if column_type in _XLSX_FORMATS:
                cell = WriteOnlyCell(sheet)
                cell.number_format = _XLSX_FORMATS[column_type]
            formatted.append(cell)
        for row in table.rows:
            values: list[Any] = []
            for column_type, styled, raw in zip(types, formatted, row, strict=True):
                value = _convert(column_type, raw)
                if styled is not None:
                    styled.value = value
                    values.append(styled)
                elif column_type == TEXT and value:
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot hold them
                    if value.startswith("=") or value in ERROR_CODES:
                        text = WriteOnlyCell(sheet)
                        text.value = value
                        text.data_type = "s"  # shown as typed, never run as a formula
                        values.append(text)
                    else:
                        values.append(value)
                else:
                    values.append(value)
            sheet.append(values)
            progress.step()
    workbook.save(path)


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(column_type: str, raw: Any) -> str:
    value = _convert(column_type, raw)
    if value is None:
        return ""
    if column_type == MONEY:
        return f"{value:.2f}"
    if column_type in (KG, TONNES):
        return f"{value:.3f}"
    if column_type == RATE:
        return f"{value:.4f}"
    if column_type == TIME:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if column_type == TEXT and text.startswith(_CSV_FORMULA_START):
        return "'" + text  # a spreadsheet must not run it as a formula
    return text


def write_csv(path: Path, tables: Iterable[Table], progress: Progress) -> None:
    """UTF-8 with BOM. One table: header + rows. Several: each under a title row."""
    tables = list(tables)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for index, table in enumerate(tables):
            if len(tables) > 1:
                if index:
                    writer.writerow([])
                writer.writerow([f"【{table.title}】"])
            writer.writerow([column.title for column in table.columns])
            types = [column.type for column in table.columns]
            for row in table.rows:
                writer.writerow([_csv_text(t, raw) for t, raw in zip(types, row, strict=True)])
                progress.step()
