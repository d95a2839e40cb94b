"""The street's list of registrations as an Excel workbook an office can file (R3, R5).

Sheet one is the list: a title row naming the street and the days, the headers in zh-CN and
in en (two rows), then one row per registration with its personal fields masked exactly as
the page shows them (house rule 4). Sheet two holds the counts per place and day, which stay
after the registrations themselves are purged (R6). Times are Asia/Shanghai (house rule 3).
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from jointcheck.api.street_registrations import StreetList
from jointcheck.web.i18n import EN, ZH, text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (message id of the header, column width in characters)
LIST_COLUMNS = (
    ("registrations.col.time", 18),
    ("registrations.col.place", 28),
    ("registrations.col.entrance", 12),
    ("registrations.col.name", 10),
    ("registrations.col.id_number", 22),
    ("registrations.col.phone", 14),
    ("registrations.col.purpose", 30),
    ("registrations.col.outcome", 18),
    ("registrations.col.reasons", 36),
)
COUNT_COLUMNS = (
    ("registrations.col.day", 12),
    ("registrations.col.place", 28),
    ("registrations.col.counted", 14),
    ("registrations.col.listed", 14),
    ("registrations.col.purged", 14),
)


def filename(found: StreetList) -> str:
    days = found.first.isoformat()
    if found.last != found.first:
        days += f"_{found.last.isoformat()}"
    return f"registrations-{found.street.code}-{days}.xlsx"


def _title(found: StreetList) -> str:
    days = found.first.isoformat()
    if found.last != found.first:
        days += f" – {found.last.isoformat()}"
    zh, en = text("registrations.title", ZH), text("registrations.title", EN)
    street = f"{found.street.name_zh} {found.street.name_en} ({found.street.code})"
    return f"{street} · {zh} {en} · {days}"


def _sheet_head(ws: Worksheet, title: str, columns: tuple[tuple[str, int], ...]) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([text(key, ZH) for key, _ in columns])
    ws.append([text(key, EN) for key, _ in columns])
    for row in (2, 3):
        for cell in ws[row]:
            cell.font = Font(bold=True)
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A4"


def _outcome(outcome: str) -> str:
    key = f"entrance.outcome.{outcome}"
    return f"{text(key, ZH)} {text(key, EN)}" if outcome else ""


def workbook(found: StreetList, timezone: str = "Asia/Shanghai") -> bytes:
    """The workbook's bytes (.xlsx)."""
    zone = ZoneInfo(timezone)
    book = Workbook()
    sheet = book.active
    sheet.title = text("registrations.sheet.list", ZH)
    _sheet_head(sheet, _title(found), LIST_COLUMNS)
    for e in found.entries:
        sheet.append(
            [
                e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                e.place_name,
                e.entrance,
                e.name,
                e.id_number,
                e.phone,
                e.purpose,
                _outcome(e.outcome),
                " ".join(e.reasons),
            ]
        )
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    counts = book.create_sheet(text("registrations.sheet.counts", ZH))
    _sheet_head(counts, _title(found), COUNT_COLUMNS)
    for c in found.counts:
        counts.append([c.day.isoformat(), c.place_name, c.counted, c.listed, c.purged])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
