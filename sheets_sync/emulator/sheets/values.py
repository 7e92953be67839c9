"""The ``spreadsheets.values`` endpoints: get, batchGet, update, batchUpdate, append, clear, batchClear.

Each function takes the spreadsheet plus the request's parameters and body, and returns Google's response
body or raises ``ApiError``. Writes validate everything (ranges, grid limits, cell size, protection) before
they touch a single cell, so a refused write changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import a1
from .cells import MAX_CELL_CHARS, Cell, cleared, has_value, parse_input, validate_length, with_value
from .dimensions import shift_for_insert
from .errors import ApiError, invalid, invalid_field
from .grid import Evaluator, Window, render, resolve
from .store import Sheet, Spreadsheet

RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
PROTECTED_MESSAGE = ("You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
                     "to remove protection if you need to edit.")

Params = Callable[[str], str | None]


# --- reads ----------------------------------------------------------------------------------------------


def _render_options(arg: Params) -> tuple[str, bool, str]:
    mode = arg("valueRenderOption") or "FORMATTED_VALUE"
    if mode not in RENDER_OPTIONS:
        raise invalid(f"Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4."
                      f"ValueRenderOption), \"{mode}\"")
    dt_option = arg("dateTimeRenderOption") or "SERIAL_NUMBER"
    major = arg("majorDimension") or "ROWS"
    if major not in ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"):
        raise invalid(f"Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension),"
                      f" \"{major}\"")
    if major == "DIMENSION_UNSPECIFIED":
        major = "ROWS"
    return mode, dt_option == "FORMATTED_STRING", major


def read_window(book: Spreadsheet, window: Window, mode: str, dt_formatted: bool, major: str,
                evaluator: Evaluator | None = None) -> list[list[Any]]:
    """The values of a window, trailing empty cells and rows dropped, inner blanks as ""."""
    sheet = window.sheet
    evaluator = evaluator or Evaluator(book)
    rows = evaluator.rows(sheet)  # the stored rows, with array formulas' spilled values laid over them
    out: list[list[Any]] = []
    last_nonempty = -1
    for r in range(window.start_row, min(window.end_row, len(rows))):
        rendered = _read_row(rows[r], window, r, evaluator, mode, dt_formatted)
        if rendered:
            last_nonempty = len(out)
        out.append(rendered)
    del out[last_nonempty + 1:]
    return _columns(out) if major == "COLUMNS" else out


def _read_row(line: list[Any], window: Window, r: int, evaluator: Evaluator, mode: str,
              dt_formatted: bool) -> list[Any]:
    """Row ``r``'s values inside the window, trailing blanks dropped and inner blanks as ""."""
    sc = window.start_col
    rendered: list[Any] = []
    for offset, cell in enumerate(line[sc:window.end_col]):
        if cell is None:
            rendered.append(None)
        elif type(cell) is str:  # the common case, kept off the slower generic path
            rendered.append(cell)
        else:
            rendered.append(render(cell, evaluator, window.sheet, r, sc + offset, mode, dt_formatted))
    while rendered and (rendered[-1] is None or rendered[-1] == ""):
        rendered.pop()
    return [("" if v is None else v) for v in rendered]


def _columns(rows: list[list[Any]]) -> list[list[Any]]:
    """Row-major values as columns (majorDimension=COLUMNS), trailing blanks and empty columns dropped."""
    width = max((len(line) for line in rows), default=0)
    columns = []
    for c in range(width):
        column = [line[c] if c < len(line) else "" for line in rows]
        while column and column[-1] == "":
            column.pop()
        columns.append(column)
    while columns and not columns[-1]:
        columns.pop()
    return columns


def value_range(book: Spreadsheet, text: str, mode: str, dt_formatted: bool, major: str,
                evaluator: Evaluator | None = None) -> dict[str, Any]:
    """One ValueRange: ``{range, majorDimension, values?}``."""
    window = resolve(book, text)  # a bare sheet name answers with the whole grid as its range
    values = read_window(book, window, mode, dt_formatted, major, evaluator)
    body: dict[str, Any] = {"range": window.a1(), "majorDimension": major}
    if values:
        body["values"] = values
    return body


def get(book: Spreadsheet, range_text: str, arg: Params) -> dict[str, Any]:
    """``GET .../values/{range}``."""
    mode, dt_formatted, major = _render_options(arg)
    return value_range(book, range_text, mode, dt_formatted, major)


def batch_get(book: Spreadsheet, ranges: list[str], arg: Params) -> dict[str, Any]:
    """``GET .../values:batchGet``."""
    mode, dt_formatted, major = _render_options(arg)
    evaluator = Evaluator(book)
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if ranges:
        out["valueRanges"] = [value_range(book, text, mode, dt_formatted, major, evaluator) for text in ranges]
    return out


# --- writes ---------------------------------------------------------------------------------------------


def _input_option(arg: Params) -> bool:
    option = arg("valueInputOption")
    if option is None or option == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise invalid("'valueInputOption' is required but not specified")
    if option not in INPUT_OPTIONS:
        raise invalid(f"Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4."
                      f"ValueInputOption), \"{option}\"")
    return option == "USER_ENTERED"


def _matrix(body: dict[str, Any], field: str) -> list[list[Any]]:
    """The body's ``values`` as rows (transposed for COLUMNS), type-checked like Google's JSON front end."""
    values = body.get("values")
    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid_field(f"{field}.values", "type.googleapis.com/google.protobuf.ListValue", values,
                            json.dumps(values, ensure_ascii=False))
    for row in values:
        if not isinstance(row, list):
            raise invalid_field(f"{field}.values[{values.index(row)}]",
                                "type.googleapis.com/google.protobuf.ListValue", row,
                                json.dumps(row, ensure_ascii=False))
    major = body.get("majorDimension") or "ROWS"
    if major == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        return [[col[r] if r < len(col) else None for col in values] for r in range(height)]
    return values


class PlannedWrite:
    """A validated write: where it goes and the parsed cells, ready to apply."""

    def __init__(self, window: Window, cells: list[list[Any]], count: int, skips: bool = True) -> None:
        self.window = window
        self.cells = cells
        self.count = count
        self.skips = skips  # whether some entries are nulls (cells left alone)

    def apply(self) -> None:
        """Store the cells (null entries leave cells alone)."""
        sheet = self.window.sheet
        c0 = self.window.start_col
        for dr, row in enumerate(self.cells):
            if not row:
                continue
            r = self.window.start_row + dr
            if r >= len(sheet.rows):
                sheet.rows.extend([] for _ in range(r + 1 - len(sheet.rows)))
            line = sheet.rows[r]
            if len(line) < c0 + len(row):
                line.extend([None] * (c0 + len(row) - len(line)))
            segment = line[c0:c0 + len(row)]
            if not any(isinstance(v, Cell) for v in segment) and not any(v is _SKIP for v in row):
                line[c0:c0 + len(row)] = [None if v == "" else v for v in row]
                continue
            for dc, value in enumerate(row):
                if value is _SKIP:
                    continue
                old = line[c0 + dc]
                # Bare values over bare cells need no merging of notes/formats.
                line[c0 + dc] = (None if value == "" else value) if not isinstance(old, Cell) \
                    else with_value(old, value)
        sheet.trim()

    def response(self, book: Spreadsheet) -> dict[str, Any]:
        """Google's UpdateValuesResponse."""
        if not self.cells:
            return {"spreadsheetId": book.id, "updatedRange": self.window.a1()}
        rows, cols = self.touched()
        return {
            "spreadsheetId": book.id,
            "updatedRange": self.window.a1(),
            "updatedRows": len(rows),
            "updatedColumns": len(cols),
            "updatedCells": self.count,
        }

    def touched(self) -> tuple[set[int], set[int]]:
        """Absolute rows and columns that received a value (nulls leave cells alone and do not count)."""
        rows: set[int] = set()
        cols: set[int] = set()
        if not self.skips:
            r0, c0 = self.window.start_row, self.window.start_col
            width = max((len(row) for row in self.cells), default=0)
            return {r0 + dr for dr, row in enumerate(self.cells) if row}, set(range(c0, c0 + width))
        for dr, row in enumerate(self.cells):
            for dc, value in enumerate(row):
                if value is not _SKIP:
                    rows.add(self.window.start_row + dr)
                    cols.add(self.window.start_col + dc)
        return rows, cols


_SKIP = object()


def grid_limit_error(sheet: Sheet, start_row: int, end_row: int, start_col: int, end_col: int) -> ApiError:
    """Google's refusal to write past the grid."""
    first = f"{a1.index_to_col(start_col)}{start_row + 1}"
    last = f"{a1.index_to_col(end_col - 1)}{end_row}"
    ref = first if (end_row - start_row == 1 and end_col - start_col == 1) else f"{first}:{last}"
    title = "'" + sheet.title.replace("'", "''") + "'"
    return invalid(f"Range ({title}!{ref}) exceeds grid limits. Max rows: {sheet.row_count}, "
                   f"max columns: {sheet.col_count}")


def plan_write(book: Spreadsheet, range_text: str, body: dict[str, Any], user_entered: bool, field: str,
               caller: str, owner: str, grow: bool = False) -> PlannedWrite:
    """Validate one ValueRange write and parse its cells; nothing is changed yet."""
    matrix = _matrix(body, field)
    window = resolve(book, range_text, clamp=False)
    sheet = window.sheet
    target = _write_target(window, matrix)
    if not grow and (target.end_row > sheet.row_count or target.end_col > sheet.col_count):
        raise grid_limit_error(sheet, target.start_row, target.end_row, target.start_col, target.end_col)
    cells, count, skips = _parse_matrix(matrix, user_entered, field)
    check_protection(book, target, caller, owner)
    return PlannedWrite(target, cells, count, skips)


def _write_target(window: Window, matrix: list[list[Any]]) -> Window:
    """The cells a write of ``matrix`` into ``window`` covers; refused if it overflows a bounded range.

    A single-cell or whole-sheet range only anchors the write, which may then run past it, as in Google.
    """
    sheet = window.sheet
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    single = window.rows == 1 and window.cols == 1
    if not window.whole_sheet and not single and (height > window.rows or width > window.cols):
        if height > window.rows:
            raise invalid(f"Requested writing within range [{window.a1()}], but tried writing to row "
                          f"[{window.start_row + window.rows + 1}]")
        raise invalid(f"Requested writing within range [{window.a1()}], but tried writing to column "
                      f"[{a1.index_to_col(window.start_col + window.cols)}]")
    if matrix:
        return Window(sheet, window.start_row, window.start_row + height, window.start_col,
                      window.start_col + width)
    # No values: the response still names a range (the anchor cell, or the range clamped to the grid).
    if single:
        return Window(sheet, window.start_row, window.start_row + 1, window.start_col, window.start_col + 1)
    return Window(sheet, window.start_row, min(window.end_row, sheet.row_count), window.start_col,
                  min(window.end_col, sheet.col_count))


def _parse_matrix(matrix: list[list[Any]], user_entered: bool,
                  field: str) -> tuple[list[list[Any]], int, bool]:
    """(parsed rows, number of cells written, whether some entries are nulls that leave cells alone)."""
    cells: list[list[Any]] = []
    count = 0
    skips = False
    for row in matrix:
        if not user_entered and all(type(v) is str and len(v) <= MAX_CELL_CHARS for v in row):
            # Fast path for rows of RAW text (the bulk of a tracker): nothing to parse or check.
            cells.append(list(row))
            count += len(row)
            continue
        parsed_row = [_parse_value(raw, user_entered, field) for raw in row]
        count += sum(1 for value in parsed_row if value is not _SKIP)
        skips = skips or any(value is _SKIP for value in parsed_row)
        cells.append(parsed_row)
    return cells, count, skips


def _parse_value(raw: Any, user_entered: bool, field: str) -> Any:
    """One entered value parsed and size-checked; a JSON null becomes ``_SKIP`` (the cell is left alone)."""
    if type(raw) is str and not user_entered and len(raw) <= MAX_CELL_CHARS:
        return raw  # fast path for the common RAW text cell: nothing to parse or check
    try:
        value = parse_input(raw, user_entered)
        validate_length(value)
    except ValueError as err:
        if "50000" in str(err):
            raise invalid(str(err)) from None
        raise invalid_field(f"{field}.values", "type.googleapis.com/google.protobuf.ListValue", raw,
                            json.dumps(raw, ensure_ascii=False)) from None
    return _SKIP if raw is None else value


def check_protection(book: Spreadsheet, window: Window, caller: str, owner: str) -> None:
    """Refuse a write touching a protected range the caller may not edit (warning-only ranges never block)."""
    if caller == owner:
        return  # the owner can always edit, as in Google
    sheet = window.sheet
    for protected in sheet.extras.get("protectedRanges", []):
        if protected.get("warningOnly"):
            continue
        if caller in protected.get("editors", {}).get("users", []):
            continue
        if protected.get("range") is None:
            continue
        rng = protected["range"]
        r0, r1 = rng.get("startRowIndex", 0), rng.get("endRowIndex", sheet.row_count)
        c0, c1 = rng.get("startColumnIndex", 0), rng.get("endColumnIndex", sheet.col_count)
        if window.start_row < r1 and r0 < window.end_row and window.start_col < c1 and c0 < window.end_col:
            raise invalid(PROTECTED_MESSAGE)


def update(book: Spreadsheet, range_text: str, arg: Params, body: dict[str, Any], caller: str,
           owner: str) -> dict[str, Any]:
    """``PUT .../values/{range}``."""
    user_entered = _input_option(arg)
    _response_options(arg)  # a bad response option is refused before anything is written
    if body.get("range") and _norm(body["range"]) != _norm(range_text):
        raise invalid(f"Requested writing within range [{range_text}], but tried writing within range "
                      f"[{body['range']}]")
    plan = plan_write(book, range_text, body, user_entered, "data", caller, owner)
    plan.apply()
    out = plan.response(book)
    return _with_values(book, out, plan, arg)


def _norm(text: str) -> str:
    return text.replace("'", "").lower()


def _response_options(arg: Params) -> tuple[str, bool] | None:
    """(render mode, dates formatted) for ``includeValuesInResponse``, or None when not asked; bad enum
    values are refused as Google refuses them."""
    include = arg("includeValuesInResponse")
    if str(include).lower() != "true":
        return None
    mode = arg("responseValueRenderOption") or "FORMATTED_VALUE"
    if mode not in RENDER_OPTIONS:
        raise invalid(f"Invalid value at 'response_value_render_option' (type.googleapis.com/google.apps."
                      f"sheets.v4.ValueRenderOption), \"{mode}\"")
    dt_option = arg("responseDateTimeRenderOption") or "SERIAL_NUMBER"
    if dt_option not in ("SERIAL_NUMBER", "FORMATTED_STRING"):
        raise invalid(f"Invalid value at 'response_date_time_render_option' (type.googleapis.com/google.apps."
                      f"sheets.v4.DateTimeRenderOption), \"{dt_option}\"")
    return mode, dt_option == "FORMATTED_STRING"


def _with_values(book: Spreadsheet, out: dict[str, Any], plan: PlannedWrite, arg: Params) -> dict[str, Any]:
    options = _response_options(arg)
    if options is not None:
        mode, dt_formatted = options
        data = {"range": plan.window.a1(), "majorDimension": "ROWS"}
        values = read_window(book, plan.window, mode, dt_formatted, "ROWS")
        if values:
            data["values"] = values
        out["updatedData"] = data
    return out


def batch_update(book: Spreadsheet, body: dict[str, Any], caller: str, owner: str) -> dict[str, Any]:
    """``POST .../values:batchUpdate``: all ranges are validated before any is written."""
    user_entered = _input_option(lambda name: body.get(name))
    _response_options(lambda name: body.get(name))  # refused before anything is written
    plans = [plan_write(book, item.get("range", ""), item, user_entered, f"data[{i}]", caller, owner)
             for i, item in enumerate(body.get("data") or [])]
    for plan in plans:
        plan.apply()
    # includeValuesInResponse: each response carries the range as read back after every write is done.
    responses = [_with_values(book, plan.response(book), plan, lambda name: body.get(name)) for plan in plans]
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if plans:
        # Totals count distinct rows/columns per sheet, not the sum over ranges.
        rows: set[tuple[int, int]] = set()
        cols: set[tuple[int, int]] = set()
        for plan in plans:
            touched_rows, touched_cols = plan.touched()
            sid = plan.window.sheet.sheet_id
            rows |= {(sid, r) for r in touched_rows}
            cols |= {(sid, c) for c in touched_cols}
        out.update({
            "totalUpdatedRows": len(rows),
            "totalUpdatedColumns": len(cols),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len({plan.window.sheet.sheet_id for plan in plans}),
            "responses": responses,
        })
    return out


def clear(book: Spreadsheet, range_text: str, caller: str, owner: str) -> dict[str, Any]:
    """``POST .../values/{range}:clear``: values go, formats and notes stay."""
    window = resolve(book, range_text)
    check_protection(book, window, caller, owner)
    _clear_window(window)
    return {"spreadsheetId": book.id, "clearedRange": window.a1()}


def _clear_window(window: Window) -> None:
    sheet = window.sheet
    for r in range(window.start_row, min(window.end_row, len(sheet.rows))):
        line = sheet.rows[r]
        for c in range(window.start_col, min(window.end_col, len(line))):
            if line[c] is not None:
                line[c] = cleared(line[c])
    sheet.trim()


def batch_clear(book: Spreadsheet, body: dict[str, Any], caller: str, owner: str) -> dict[str, Any]:
    """``POST .../values:batchClear``."""
    windows = [resolve(book, text) for text in body.get("ranges") or []]
    for window in windows:
        check_protection(book, window, caller, owner)
    for window in windows:
        _clear_window(window)
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if windows:
        out["clearedRanges"] = [w.a1() for w in windows]
    return out


# --- append ---------------------------------------------------------------------------------------------


def _filled(sheet: Sheet, row: int, col: int) -> bool:
    return has_value(sheet.cell(row, col))


def find_table(sheet: Sheet, window: Window) -> tuple[int, int, int, int] | None:
    """The "table" values.append writes after: (start_row, end_row, start_col, end_col) or None.

    Google's heuristic, as observed: take the last non-empty cell of the searched range (row-major), grow it
    into the block of data connected to it (empty cells split tables), and append below that block starting
    at its first column.
    """
    rows = sheet.rows
    seed: tuple[int, int] | None = None
    for r in range(min(window.end_row, len(rows)) - 1, window.start_row - 1, -1):
        line = rows[r]
        for c in range(min(window.end_col, len(line)) - 1, window.start_col - 1, -1):
            if has_value(line[c]):
                seed = (r, c)
                break
        if seed:
            break
    if seed is None:
        return None
    r0 = r1 = seed[0]
    c0 = c1 = seed[1]
    # Grow the seed's horizontal run, then add neighbouring rows whose runs touch the block, until stable.
    while c0 > 0 and _filled(sheet, r0, c0 - 1):
        c0 -= 1
    while _filled(sheet, r0, c1 + 1):
        c1 += 1
    changed = True
    while changed:
        changed = False
        for r, step in ((r0 - 1, -1), (r1 + 1, 1)):
            if r < 0 or r >= len(rows):
                continue
            line = rows[r]
            hits = [c for c in range(c0, min(c1 + 1, len(line))) if has_value(line[c])]
            if not hits:
                continue
            lo, hi = hits[0], hits[-1]
            while lo > 0 and _filled(sheet, r, lo - 1):
                lo -= 1
            while _filled(sheet, r, hi + 1):
                hi += 1
            if step < 0:
                r0 = r
            else:
                r1 = r
            c0, c1 = min(c0, lo), max(c1, hi)
            changed = True
    return r0, r1 + 1, c0, c1 + 1


def append(book: Spreadsheet, range_text: str, arg: Params, body: dict[str, Any], caller: str,
           owner: str) -> dict[str, Any]:
    """``POST .../values/{range}:append``: write after the table found in the range, growing the grid."""
    user_entered = _input_option(arg)
    _response_options(arg)  # a bad response option is refused before anything is written
    insert_option = arg("insertDataOption") or "OVERWRITE"
    if insert_option not in ("OVERWRITE", "INSERT_ROWS"):
        raise invalid(f"Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4."
                      f"InsertDataOption), \"{insert_option}\"")
    window = resolve(book, range_text)
    sheet = window.sheet
    table = find_table(sheet, window)
    if table is None:
        start_row, start_col = window.start_row, window.start_col
    else:
        start_row, start_col = table[1], table[2]
    matrix = _matrix(body, "data")
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    target_text = a1.format_range(sheet.title, start_row, start_row + max(height, 1), start_col,
                                  start_col + max(width, 1))
    plan = plan_write(book, target_text, body, user_entered, "data", caller, owner, grow=True)
    # Check the cell limit before growing the grid.
    grow_rows = height if insert_option == "INSERT_ROWS" else max(0, start_row + height - sheet.row_count)
    grow_cols = max(0, start_col + width - sheet.col_count)
    extra_cells = grow_rows * (sheet.col_count + grow_cols) + grow_cols * sheet.row_count
    if book.total_cells() + extra_cells > CELL_LIMIT:
        raise cell_limit_error()
    if insert_option == "INSERT_ROWS" and height:
        insert_rows(book, sheet, start_row, height)
    else:
        sheet.props["gridProperties"]["rowCount"] = max(sheet.row_count, start_row + height)
    sheet.props["gridProperties"]["columnCount"] = max(sheet.col_count, start_col + width)
    plan.apply()
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if table is not None:
        out["tableRange"] = a1.format_range(sheet.title, table[0], table[1], table[2], table[3])
    out["updates"] = _with_values(book, plan.response(book), plan, arg)
    return out


CELL_LIMIT = 10_000_000


def cell_limit_error() -> ApiError:
    """Google's refusal to grow a spreadsheet past ten million cells."""
    return invalid("This action would increase the number of cells in the workbook above the limit of "
                   "10000000 cells.")


def insert_rows(book: Spreadsheet, sheet: Sheet, at: int, count: int) -> None:
    """Insert ``count`` empty rows before row ``at`` (grid grows; data, metadata and ranges shift)."""
    shift_for_insert(sheet, "ROWS", at, count, book)

