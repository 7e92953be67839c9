"""Drive ``files.export`` to .xlsx: the spreadsheet as Google's own export carries it, built with openpyxl.

What travels: typed values (numbers, booleans, dates as date serials under their number format), formulas,
number formats, fonts, fills and alignment, notes, data-validation dropdowns and checkboxes, conditional
formats, frozen rows and columns, column widths and hidden columns, merges, the basic filter, hidden tabs and
tab colours. Text that looks like a formula (``=…``, typed RAW) stays a text cell, so Excel or LibreOffice
never evaluates a citizen's comment.

openpyxl is the library: the de-facto reader/writer of .xlsx in Python (pandas uses it), with the full
styling, validation and conditional-formatting model, and no native code.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule, Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .cells import Cell
from .store import Sheet, Spreadsheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@")
PX_PER_WIDTH_UNIT = 7.0  # Excel's column width unit is a '0' glyph of Calibri 11: about 7 px
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_HALIGN = {"LEFT": "left", "CENTER": "center", "RIGHT": "right"}
_VALIGN = {"TOP": "top", "MIDDLE": "center", "BOTTOM": "bottom"}
_CELL_IS = {"NUMBER_GREATER": "greaterThan", "NUMBER_GREATER_THAN_EQ": "greaterThanOrEqual",
            "NUMBER_LESS": "lessThan", "NUMBER_LESS_THAN_EQ": "lessThanOrEqual", "NUMBER_EQ": "equal",
            "NUMBER_NOT_EQ": "notEqual", "NUMBER_BETWEEN": "between", "NUMBER_NOT_BETWEEN": "notBetween",
            "TEXT_EQ": "equal", "TEXT_NOT_EQ": "notEqual"}


def hex_color(color: dict[str, Any] | None) -> str | None:
    """A Sheets Color (0..1 channels, zero channels omitted) as an ARGB hex string."""
    if not color:
        return None
    channels = [round(float(color.get(k, 0)) * 255) for k in ("red", "green", "blue")]
    return "FF" + "".join(f"{max(0, min(255, c)):02X}" for c in channels)


def _color_of(fmt: dict[str, Any], plain: str, style: str) -> str | None:
    styled = (fmt.get(style) or {}).get("rgbColor")
    return hex_color(styled or fmt.get(plain))


def _font(fmt: dict[str, Any]) -> Font | None:
    text = fmt.get("textFormat") or {}
    if not text:
        return None
    return Font(bold=text.get("bold"), italic=text.get("italic"), strike=text.get("strikethrough"),
                underline="single" if text.get("underline") else None, size=text.get("fontSize"),
                name=text.get("fontFamily"), color=_color_of(text, "foregroundColor", "foregroundColorStyle"))


def _fill(fmt: dict[str, Any], conditional: bool = False) -> PatternFill | None:
    color = _color_of(fmt, "backgroundColor", "backgroundColorStyle")
    if color is None or (color == "FFFFFFFF" and not conditional):
        return None
    if conditional:  # a differential style paints with bgColor
        return PatternFill(start_color=color, end_color=color, bgColor=color, fill_type="solid")
    return PatternFill(start_color=color, end_color=color, fill_type="solid")


def _alignment(fmt: dict[str, Any]) -> Alignment | None:
    horizontal = _HALIGN.get(fmt.get("horizontalAlignment") or "")
    vertical = _VALIGN.get(fmt.get("verticalAlignment") or "")
    wrap = fmt.get("wrapStrategy") == "WRAP"
    if not (horizontal or vertical or wrap):
        return None
    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap or None)


def excel_number_format(number_format: dict[str, Any] | None) -> str | None:
    """A Sheets number format as an Excel one: the pattern syntax is shared, the type defaults are not."""
    from .number_format import pattern_of

    if not number_format:
        return None
    pattern = pattern_of(number_format)
    if not pattern:
        return None
    # Sheets' "am/pm" is Excel's "AM/PM"; [$₹-4009] is the same in both.
    return re.sub(r"(?i)am/pm", "AM/PM", pattern)


class _Styles:
    """openpyxl style objects per distinct format: a 100k-row tab has a handful of formats, not 100k."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Any, ...]] = {}

    def apply(self, target: Any, fmt: dict[str, Any] | None, number_format: dict[str, Any] | None) -> None:
        """Style ``target`` (an openpyxl cell) with a Sheets CellFormat."""
        key = json.dumps([fmt, number_format], sort_keys=True)
        if key not in self._cache:
            fmt_ = fmt or {}
            self._cache[key] = (_font(fmt_), _fill(fmt_), _alignment(fmt_), excel_number_format(number_format))
        font, fill, alignment, pattern = self._cache[key]
        if font is not None:
            target.font = font
        if fill is not None:
            target.fill = fill
        if alignment is not None:
            target.alignment = alignment
        if pattern is not None:
            target.number_format = pattern


def _value(cell: Any) -> tuple[Any, bool]:
    """(what to write, whether it must be forced to a text cell)."""
    if isinstance(cell, Cell):
        if cell.formula is not None:
            return cell.formula, False  # Google's export keeps formulas; the reader recalculates
        cell = cell.value
    if isinstance(cell, str):
        return cell, cell.startswith(FORMULA_START)
    return cell, False


def _write_cells(ws: Worksheet, sheet: Sheet, styles: _Styles) -> dict[str, list]:
    """Values, styles and notes; returns the validation rules found, keyed by their JSON, with their cells."""
    from .number_format import cell_number_format

    validations: dict[str, list[tuple[int, int]]] = {}
    for r, line in enumerate(sheet.rows):
        for c, cell in enumerate(line):
            if cell is None or cell == "":
                continue
            value, as_text = _value(cell)
            target = ws.cell(row=r + 1, column=c + 1)
            if value is not None and value != "":
                target.value = value
                if as_text:
                    target.data_type = TYPE_STRING  # openpyxl would store "=..." as a formula
            if not isinstance(cell, Cell):
                continue
            if cell.fmt is not None or cell.formula is not None:
                styles.apply(target, cell.fmt, cell_number_format(cell.fmt, cell.formula))
            if cell.note:
                target.comment = Comment(cell.note, "Google Sheets", width=300, height=120)
            if cell.validation:
                validations.setdefault(json.dumps(cell.validation, sort_keys=True), []).append((r, c))
    return validations


def _runs(cells: Iterable[tuple[int, int]]) -> list[str]:
    """Cells as few A1 ranges as runs down each column (a dropdown on 100k rows is one range, not 100k)."""
    by_col: dict[int, list[int]] = {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    ranges = []
    for c, rows in sorted(by_col.items()):
        rows.sort()
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            letter = get_column_letter(c + 1)
            ranges.append(f"{letter}{start + 1}" if start == prev else f"{letter}{start + 1}:{letter}{prev + 1}")
            if r is not None:
                start = prev = r
    return ranges


def _condition_values(condition: dict[str, Any]) -> list[str]:
    return [str(v.get("userEnteredValue", "")) for v in condition.get("values") or []]


def data_validation(rule: dict[str, Any]) -> DataValidation | None:
    """A Sheets validation rule as an Excel one (dropdowns, checkboxes, number and date limits)."""
    condition = rule.get("condition") or {}
    kind, values = condition.get("type"), _condition_values(condition)
    strict = bool(rule.get("strict"))
    common: dict[str, Any] = {"allow_blank": True, "showErrorMessage": strict,
                              "errorStyle": "stop" if strict else "warning"}
    if kind == "ONE_OF_LIST":
        listed = ",".join(v.replace('"', '""') for v in values)
        if len(listed) > 255:  # Excel's limit for an inline list; Sheets has none
            return None
        return DataValidation(type="list", formula1=f'"{listed}"',
                              showDropDown=not rule.get("showCustomUi", True), **common)
    if kind == "ONE_OF_RANGE" and values:
        return DataValidation(type="list", formula1=values[0].lstrip("="), **common)
    if kind == "BOOLEAN":
        return DataValidation(type="list", formula1='"TRUE,FALSE"', **common)
    if kind in ("NUMBER_BETWEEN", "NUMBER_GREATER", "NUMBER_LESS") and values:
        operator = {"NUMBER_BETWEEN": "between", "NUMBER_GREATER": "greaterThan",
                    "NUMBER_LESS": "lessThan"}[kind]
        return DataValidation(type="decimal", operator=operator, formula1=values[0],
                              formula2=values[1] if len(values) > 1 else None, **common)
    if kind == "DATE_IS_VALID":
        return DataValidation(type="date", operator="greaterThan", formula1="0", **common)
    return None


def _write_validations(ws: Worksheet, found: dict[str, list[tuple[int, int]]]) -> None:
    for key, cells in found.items():
        validation = data_validation(json.loads(key))
        if validation is None:
            continue
        validation.sqref = " ".join(_runs(cells))  # type: ignore[assignment]
        ws.add_data_validation(validation)


def grid_range_a1(grid: dict[str, Any], sheet: Sheet) -> str:
    """A GridRange as A1 (unbounded ends reach the grid's edge)."""
    r1, c1 = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
    r2 = grid.get("endRowIndex", sheet.row_count)
    c2 = grid.get("endColumnIndex", sheet.col_count)
    return f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(max(c2, c1 + 1))}{max(r2, r1 + 1)}"


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def conditional_rule(rule: dict[str, Any], top_left: str) -> Rule | None:
    """A Sheets conditional format rule as an Excel one."""
    if "gradientRule" in rule:
        return _gradient(rule["gradientRule"])
    boolean = rule.get("booleanRule") or {}
    condition, fmt = boolean.get("condition") or {}, boolean.get("format") or {}
    kind, values = condition.get("type"), _condition_values(condition)
    style = {"font": _font(fmt), "fill": _fill(fmt, conditional=True)}
    if kind == "CUSTOM_FORMULA" and values:
        return FormulaRule(formula=[values[0].lstrip("=")], stopIfTrue=False, **style)
    if kind in _CELL_IS and values:
        text = kind.startswith("TEXT")
        formulas = [_quoted(v) if text else v for v in values]
        return CellIsRule(operator=_CELL_IS[kind], formula=formulas, **style)
    formula = {
        "TEXT_CONTAINS": f"NOT(ISERROR(SEARCH({_quoted(values[0])},{top_left})))" if values else None,
        "TEXT_NOT_CONTAINS": f"ISERROR(SEARCH({_quoted(values[0])},{top_left}))" if values else None,
        "BLANK": f"LEN(TRIM({top_left}))=0",
        "NOT_BLANK": f"LEN(TRIM({top_left}))>0",
    }.get(kind or "")
    return FormulaRule(formula=[formula], **style) if formula else None


def _gradient(gradient: dict[str, Any]) -> Rule | None:
    points = [gradient.get(k) for k in ("minpoint", "midpoint", "maxpoint") if gradient.get(k)]
    if len(points) < 2:
        return None
    kinds = {"MIN": "min", "MAX": "max", "NUMBER": "num", "PERCENT": "percent", "PERCENTILE": "percentile"}

    def args(point: dict[str, Any], prefix: str) -> dict[str, Any]:
        return {f"{prefix}_type": kinds.get(point.get("type", "MIN"), "num"), f"{prefix}_value": point.get("value"),
                f"{prefix}_color": hex_color((point.get("colorStyle") or {}).get("rgbColor") or point.get("color"))}

    names = ["start", "end"] if len(points) == 2 else ["start", "mid", "end"]
    kwargs: dict[str, Any] = {}
    for point, name in zip(points, names, strict=True):
        kwargs.update(args(point, name))
    return ColorScaleRule(**kwargs)


def _write_conditional(ws: Worksheet, sheet: Sheet) -> None:
    for rule in sheet.extras.get("conditionalFormats") or []:
        ranges = [grid_range_a1(g, sheet) for g in rule.get("ranges") or []]
        if not ranges:
            continue
        converted = conditional_rule(rule, ranges[0].split(":")[0])
        if converted is not None:
            ws.conditional_formatting.add(" ".join(ranges), converted)


def _write_layout(ws: Worksheet, sheet: Sheet) -> None:
    """Frozen panes, widths, hidden columns and rows, merges, the filter, tab colour and visibility."""
    grid = sheet.props.get("gridProperties") or {}
    rows, cols = grid.get("frozenRowCount", 0), grid.get("frozenColumnCount", 0)
    if rows or cols:
        ws.freeze_panes = f"{get_column_letter(cols + 1)}{rows + 1}"
    for c, meta in sheet.col_meta.items():
        dim = ws.column_dimensions[get_column_letter(c + 1)]
        if meta.get("pixelSize"):
            dim.width = round(meta["pixelSize"] / PX_PER_WIDTH_UNIT, 2)
        if meta.get("hiddenByUser"):
            dim.hidden = True
    for r, meta in sheet.row_meta.items():
        if meta.get("hiddenByUser"):
            ws.row_dimensions[r + 1].hidden = True
    for merge in sheet.extras.get("merges") or []:
        ws.merge_cells(grid_range_a1(merge, sheet))
    basic = sheet.extras.get("basicFilter")
    if basic and basic.get("range"):
        ws.auto_filter.ref = grid_range_a1(basic["range"], sheet)
    tab = hex_color((sheet.props.get("tabColorStyle") or {}).get("rgbColor") or sheet.props.get("tabColor"))
    if tab:
        ws.sheet_properties.tabColor = tab
    if sheet.props.get("hidden"):
        ws.sheet_state = "hidden"


def excel_title(title: str, taken: set[str]) -> str:
    """A tab title Excel accepts: at most 31 characters, none of ``[]:*?/\\``, unique (case-insensitive)."""
    base = _BAD_TITLE.sub("_", title)[:31] or "Sheet"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base[:31 - len(str(n)) - 1]}~{n}"
    taken.add(name.lower())
    return name


def workbook(book: Spreadsheet) -> Workbook:
    """The spreadsheet as an openpyxl Workbook."""
    wb = Workbook()
    wb.remove(wb.active)
    styles = _Styles()
    taken: set[str] = set()
    for sheet in book.sheets:
        if sheet.props.get("sheetType", "GRID") != "GRID":
            continue
        ws = wb.create_sheet(excel_title(sheet.title, taken))
        _write_validations(ws, _write_cells(ws, sheet, styles))
        _write_conditional(ws, sheet)
        _write_layout(ws, sheet)
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    if visible:
        wb.active = wb.worksheets.index(visible[0])  # a workbook must open on a visible tab
    return wb


def export_xlsx(book: Spreadsheet) -> bytes:
    """The .xlsx bytes of a spreadsheet."""
    out = io.BytesIO()
    workbook(book).save(out)
    return out.getvalue()
