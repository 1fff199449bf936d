"""A statement as PDF, with fpdf2 (pure Python: no system libraries).

fpdf2's built-in fonts know only Latin-1, which covers Dutch and English but not
the euro sign: amounts say "EUR", and a character outside Latin-1 in a name is
written without its accent (or as "?"). With `font_file` (a TrueType font such as
DejaVu Sans, `INCUBATOR_STATEMENT_PDF_FONT`) every character is written as is.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.i18n import gettext_for, pick_locale

from .build import Statement, StatementLine
from .labels import KIND_LABELS, SOURCE_LABELS, STATUS_LABELS

DATETIME = "%d/%m/%Y %H:%M"
# Widths (mm, scaled down to the page when wider) and alignment of the tables
LINE_WIDTHS = (24, 18, 38, 34, 26, 30, 14, 17, 17, 17, 15, 19)
LINE_ALIGN = ("LEFT",) * 6 + ("RIGHT",) * 6
SUMMARY_WIDTHS = (40, 30, 30, 30, 30, 30)
SUMMARY_ALIGN = ("LEFT",) + ("RIGHT",) * 5
ROW = 5.0


def _latin1(text: str) -> str:
    """Text the built-in fonts can write: accents outside Latin-1 dropped, the rest as '?'."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
        return plain.encode("latin-1", "replace").decode("latin-1")
    return text


class _Document(FPDF):
    def __init__(self, *, font_file: str | None, footer_text: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        self._widths: dict[tuple[str, str, float, str], float] = {}
        self.unicode = False
        self.family = "helvetica"
        if font_file and Path(font_file).is_file():
            self.add_font("statement", "", font_file)
            self.add_font("statement", "B", font_file)
            self.family = "statement"
            self.unicode = True
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(10, 10, 10)

    def text_of(self, text: str) -> str:
        return text if self.unicode else _latin1(text)

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_of_text(
        self, text: str, *, size: float = 9, bold: bool = False, height: float = 5.0
    ) -> None:
        self.font(size, bold=bold)
        self.cell(0, height, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        align: Sequence[str],
        bold_last: bool = False,
    ) -> None:
        """A table whose first row is the heading (wrapped, repeated on every page).

        Body cells are cut to their width with "...": fpdf2's wrapping tables cost
        about 10 ms a row, too slow for a month of a busy company's sessions.
        """
        scale = min(1.0, self.epw / sum(widths))
        columns = [(width * scale, side) for width, side in zip(widths, align, strict=True)]
        heading, body = rows[0], rows[1:]
        self._heading(heading, columns)
        for number, cells in enumerate(body):
            if self.will_page_break(ROW):
                self.add_page()
                self._heading(heading, columns)
            self.font(8, bold=bold_last and number == len(body) - 1)
            self._row(cells, columns)

    def _row(self, cells: Sequence[str], columns: Sequence[tuple[float, str]]) -> None:
        """One body row, drawn with `text()`: a few times faster than `cell()`."""
        top, left = self.get_y(), self.l_margin
        baseline = top + ROW - 1.5
        for text, (width, side) in zip(cells, columns, strict=True):
            fitted = self._fit(text, width)
            x = left + 1 if side == "LEFT" else left + width - 1 - self._width(fitted)
            if fitted:
                self.text(x, baseline, fitted)
            left += width
        self.line(self.l_margin, top + ROW, left, top + ROW)
        self.set_xy(self.l_margin, top + ROW)

    def _width(self, text: str) -> float:
        key = (self.font_family, self.font_style, self.font_size_pt, text)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def _heading(self, cells: Sequence[str], columns: Sequence[tuple[float, str]]) -> None:
        self.font(8, bold=True)
        texts = [self.text_of(text) for text in cells]
        widths = [width for width, _side in columns]
        height = 4 * max(self._line_count(t, w) for t, w in zip(texts, widths, strict=True))
        if self.will_page_break(height + ROW):
            self.add_page()
        top, left = self.get_y(), self.l_margin
        for text, (width, side) in zip(texts, columns, strict=True):
            self.set_xy(left, top)
            self.multi_cell(width, 4, text, align=side[0])
            left += width
        self.set_xy(self.l_margin, top + height)
        self.line(
            self.l_margin, top + height, self.l_margin + sum(w for w, _s in columns), top + height
        )

    def _line_count(self, text: str, width: float) -> int:
        lines = self.multi_cell(width, 4, text, dry_run=True, output="LINES")
        return len(lines) if isinstance(lines, list) else 1

    def _fit(self, text: str, width: float) -> str:
        """`text` shortened with "..." to fit `width`."""
        text = self.text_of(text)
        if self._width(text) <= width - 2:
            return text
        while text and self._width(text + "...") > width - 2:
            text = text[:-1]
        return text + "..."

    def footer(self) -> None:
        self.set_y(-12)
        self.font(7)
        self.cell(0, 5, self.text_of(f"{self.footer_text} - {self.page_no()}"), align="R")


def statement_pdf(
    statement: Statement,
    *,
    zone: ZoneInfo,
    locale: str | None,
    site_name: str,
    font_file: str | None = None,
) -> bytes:
    _ = gettext_for(locale)
    number_locale = "nl_BE" if pick_locale(locale) == "nl" else "en_GB"

    def num(value: Decimal | None) -> str:
        return "" if value is None else format_decimal(value, "#,##0.00", locale=number_locale)

    def when(moment: dt.datetime) -> str:
        return moment.astimezone(zone).strftime(DATETIME)

    title = _("Statement %(month)s", month=str(statement.month))
    pdf = _Document(font_file=font_file, footer_text=f"{statement.tenant_name} - {title}")
    pdf.set_title(pdf.text_of(f"{title} - {statement.tenant_name}"))
    pdf.set_author(pdf.text_of(site_name))
    pdf.set_creator(pdf.text_of(site_name))
    pdf.add_page()

    pdf.line_of_text(site_name)
    pdf.line_of_text(title, size=16, bold=True, height=9)
    pdf.line_of_text(statement.tenant_name, size=12, bold=True, height=7)
    facts = [
        _("Period: %(start)s to %(end)s", start=when(statement.start), end=when(statement.end)),
        _("Made on %(moment)s", moment=when(statement.generated_at)),
        _("Amounts in EUR, without VAT."),
    ]
    if statement.provisional:
        facts.append(_("Provisional: the month is not over yet."))
    if not statement.has_plan:
        facts.append(_("No quota plan: no hours are included."))
    for fact in facts:
        pdf.line_of_text(fact)
    pdf.ln(3)

    summary = [
        [
            _("Kind"),
            _("Included hours"),
            _("Billable hours"),
            _("Overage hours"),
            _("Rate (EUR per hour)"),
            _("Amount (EUR)"),
        ]
    ]
    for kind in statement.kinds:
        rate = num(kind.rate) if kind.rate is not None else _("see lines")
        summary.append(
            [
                _(KIND_LABELS[kind.kind.value]),
                num(kind.included_hours),
                num(kind.billable_hours),
                num(kind.overage_hours),
                rate if kind.overage_hours else "",
                num(kind.amount),
            ]
        )
    summary.append([_("Total"), "", "", "", "", num(statement.total_amount)])
    pdf.grid(summary, widths=SUMMARY_WIDTHS, align=SUMMARY_ALIGN, bold_last=True)
    pdf.ln(6)

    pdf.line_of_text(_("Bookings and machine sessions"), size=11, bold=True, height=7)
    if not statement.lines:
        pdf.line_of_text(_("Nothing this month."))
        return bytes(pdf.output())
    lines = [
        [
            _("Start"),
            _("End"),
            _("Resource"),
            _("Member"),
            _("Line"),
            _("Status"),
            _("Hours"),
            _("Billable hours"),
            _("Included hours"),
            _("Overage hours"),
            _("Rate (EUR per hour)"),
            _("Amount (EUR)"),
        ]
    ]
    lines += [_line_cells(line, _, num, zone) for line in statement.lines]
    pdf.grid(lines, widths=LINE_WIDTHS, align=LINE_ALIGN)
    return bytes(pdf.output())


def _line_cells(
    line: StatementLine, _: Callable[..., str], num: Callable[[Decimal], str], zone: ZoneInfo
) -> list[str]:
    start = line.start.astimezone(zone)
    end = line.end.astimezone(zone)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%d/%m %H:%M")
    return [
        start.strftime(DATETIME),
        end_text,
        line.resource,
        line.member or "-",
        _(SOURCE_LABELS[line.source]),
        _(STATUS_LABELS.get(line.status, line.status)),
        num(line.hours),
        num(line.billable_hours),
        num(line.included_hours),
        num(line.overage_hours),
        num(line.rate) if line.overage_hours else "",
        num(line.amount),
    ]
