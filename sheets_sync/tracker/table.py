"""One tab as read: header lookup by text, typed rows on demand, and the problems that make writing unsafe.

Pure: built from the values grid of a ``values:batchGet`` (UNFORMATTED_VALUE, SERIAL_NUMBER).
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from gspread.utils import rowcol_to_a1

from ..errors import SchemaError
from ..schema import Tab
from .cells import NO_TIME, CellValueError, as_text, microseconds, parse_cell

_UNPARSED = object()
# Columns whose parsed cell is the raw text itself, or that text stripped: parsed at each ask rather than kept —
# a kept list per column is 0.8 MB at 100,000 rows, and a Tracker has eleven such columns the jobs ask about.
_TEXT_KINDS = frozenset({"text", "enum", "id", "link"})
_STALE_TIME = NO_TIME + 1  # in a kept ``micros`` array: to be converted again


def rearranged(values: Sequence[Any], source: Sequence[int], missing: Any) -> list[Any]:
    """``values`` rearranged: item i is ``values[source[i]]``, or ``missing`` where ``source[i]`` is -1 —
    picked in C (``operator.itemgetter``), as a 100,000-row tab's columns are each cycle."""
    if len(source) < 2:
        return [values[j] if j >= 0 else missing for j in source]
    return list(operator.itemgetter(*source)([*values, missing]))


_TOKENS = itertools.count(1)


def _in_place(kept: int, n: int) -> tuple[Callable[[list[Any], Any], list[Any]],
                                           Callable[[np.ndarray], np.ndarray]]:
    """Movers for ``Table._take_over`` when the first ``kept`` rows stay where they were and ``n - kept`` new
    ones follow: the older table's lists are cut and extended in place rather than copied — a 100,000-row
    Tracker carries some forty columns of them each cycle, and copying them all held two sets at once."""

    def move(values: list[Any], missing: Any) -> list[Any]:
        del values[kept:]
        values.extend([missing] * (n - len(values)))
        return values

    def move_times(times: np.ndarray) -> np.ndarray:
        return np.concatenate([times[:kept], np.full(n - kept, _STALE_TIME, np.int64)])

    return move, move_times


# A column whose first rows repeat their values (Department, Status, Category...) is worth sharing; one whose
# rows are mostly distinct (Ticket ID, Comment) is left alone rather than indexed for nothing.
_SHARE_SAMPLE = 2000
SHARE_MIN_ROWS = 1000


def share_repeated(column: list[Any]) -> None:
    """Let equal texts and times in one column be one object, in place: a JSON parser makes a new string for
    every cell, so a 100,000-row Tracker held "Solid Waste Management" 100,000 times — measured, sharing takes
    the cells of the benchmark's sheet from 139 MB to 77 MB. Only ``str`` and non-zero ``float`` cells are
    shared, each kind with its own kind (a dict would take ``True`` for ``1``, and ``0.0`` for ``-0.0``)."""
    sample = [v for v in column[:_SHARE_SAMPLE] if v.__class__ is str or (v.__class__ is float and v)]
    if not sample or len(set(sample)) * 4 > len(sample):
        return  # mostly distinct, or empty
    texts: dict[str, str] = {}
    times: dict[float, float] = {}
    column[:] = [texts.setdefault(v, v) if v.__class__ is str else
                 times.setdefault(v, v) if v.__class__ is float and v else v for v in column]


def even_columns(columns: Iterable[list[Any]]) -> None:
    """Columns as a ``majorDimension=COLUMNS`` read returns them (trailing empty cells left out) padded to one
    height, in place — a tall one's repeated cells shared first (``share_repeated``)."""
    columns = list(columns)
    height = max(map(len, columns), default=0)
    for column in columns:
        if height >= SHARE_MIN_ROWS:
            share_repeated(column)
        column.extend([""] * (height - len(column)))


def column_letter(index: int) -> str:
    """0-based column index → A1 letters (0 → A, 26 → AA)."""
    return rowcol_to_a1(1, index + 1).rstrip("0123456789")


def trim_header(header: list[Any]) -> list[str]:
    """A header row as text, trailing empty cells dropped (the API omits them, people leave them)."""
    out = [as_text(h).strip() for h in header]
    while out and not out[-1]:
        out.pop()
    return out


def quote_title(title: str) -> str:
    """A sheet title quoted for A1 notation (``'It''s'``)."""
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Table:
    """A tab's values as read, with its header mapped by text.

    Rows are kept raw (as the API returned them) and parsed only when asked, so a 100,000-row Tracker costs
    little when a job needs a few columns.
    """

    tab: Tab
    header: list[str]
    rows: list[list[Any]]
    tz: ZoneInfo
    sheet_id: int | None = None
    # The key index when the caller already knows it — rows the tool wrote and appended to, every key on
    # one row — so a 100,000-row table is not indexed again (``tracker.known``).
    known_keys: dict[str, int] | None = field(default=None, repr=False, compare=False)
    col: dict[str, int] = field(init=False)
    problems: list[str] = field(init=False, default_factory=list)
    missing: list[str] = field(init=False, default_factory=list)
    duplicated_headers: list[str] = field(init=False, default_factory=list)
    key_rows: dict[str, int] = field(init=False, default_factory=dict)
    duplicate_keys: dict[str, list[int]] = field(init=False, default_factory=dict)
    # Cells already parsed, per column (``_UNPARSED`` until asked): a 100,000-row Tracker's dates are parsed once
    # per process, not once per job per cycle — a runner keeps the table between cycles (``tracker.known``).
    _typed: dict[str, list[Any]] = field(init=False, default_factory=dict, repr=False)
    # Scanned columns (``column``, ``filled``) and date-time columns as int64 microseconds (``micros``); the
    # first and last are carried across cycles like the parsed cells.
    _columns: dict[str, list[Any]] = field(init=False, default_factory=dict, repr=False)
    _filled: dict[str, list[bool]] = field(init=False, default_factory=dict, repr=False)
    _micros: dict[str, np.ndarray] = field(init=False, default_factory=dict, repr=False)
    _kinds: dict[str, str] = field(init=False, default_factory=dict, repr=False)
    # Which read of the tab this is, and — for a table a runner derived from the previous one by applying that
    # cycle's own write (``tracker.known``) — that one's: jobs whose output depends only on the rows use them
    # to tell "the rows I last worked from" (``jobs.cycle.unchanged_since_last``).
    token: int = field(init=False, default_factory=lambda: next(_TOKENS), repr=False, compare=False)
    parent_token: int | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.header = trim_header(self.header)
        self._map_header()
        self._report_headers()
        if self.tab.key and self.tab.key in self.col:
            if self.known_keys is not None:
                self.key_rows = self.known_keys
            else:
                self._index_keys(self.col[self.tab.key])
        self.known_keys = None

    def _map_header(self) -> None:
        """Header text → column index (first occurrence); repeated required headers are remembered."""
        seen: dict[str, int] = {}
        for i, name in enumerate(self.header):
            if not name:
                continue
            if name in seen:
                if name in self.tab.headers and name not in self.duplicated_headers:
                    self.duplicated_headers.append(name)
                continue
            seen[name] = i
        self.col = seen
        self.missing = [h for h in self.tab.headers if h not in self.col]

    def _report_headers(self) -> None:
        """Problems with the header row, each naming the columns and the fix."""
        if self.missing and not any(h in self.tab.headers for h in self.header):
            # Nothing in row 1 is a header: a title row inserted above them, or text typed over them. Say that,
            # rather than "run init" (which must not write headers over a person's row either).
            from .init import header_row_problem

            moved = header_row_problem(self.tab.title, self.tab, [self.header, *self.rows[:4]])
            if moved:
                self.problems.append(f"{moved} Until then the tool does not write this tab.")
                return
        for name in self.duplicated_headers:
            self.problems.append(
                f"{self.tab.title}: the header {name!r} appears more than once (columns "
                f"{', '.join(column_letter(i) for i, h in enumerate(self.header) if h == name)}). Rename or "
                "delete the extra column; the tool will not write this tab until then.")
        unknown = [h for h in self.col if h not in self.tab.headers]
        for name in self.missing:
            # A header a person retyped ("Due Date" for "Due By") is the likely cause: name it, so the fix is a
            # rename rather than an init that adds a second, empty column.
            close = difflib.get_close_matches(name, unknown, n=1, cutoff=0.5)
            hint = (f" — column {column_letter(self.col[close[0]])} is headed {close[0]!r}: rename it back to "
                    f"{name!r}" if close else "")
            self.problems.append(
                f"{self.tab.title}: the required column {name!r} is missing. Run `sheets-sync init` to add it at "
                f"the end, or restore the header text{hint}.")

    def _index_keys(self, k: int) -> None:
        """Key → row for keys on one row; keys on several rows are reported and left out."""
        first: dict[str, int] = {}
        for offset, row in enumerate(self.rows):
            raw = row[k] if k < len(row) else ""
            key = raw.strip() if raw.__class__ is str else as_text(raw).strip()
            if not key:
                continue
            number = offset + 2
            if key in first:
                self.duplicate_keys.setdefault(key, [first[key]]).append(number)
            else:
                first[key] = number
        for key in self.duplicate_keys:
            first.pop(key, None)
        self.key_rows = first
        for key, numbers in self.duplicate_keys.items():
            self.problems.append(
                f"{self.tab.title}: {self.tab.key} {key!r} is on rows {', '.join(map(str, numbers))}. Keep one "
                "row and delete the others (move any notes first); the tool leaves these rows alone until then.")

    @property
    def writable(self) -> bool:
        """Whether the tool may write this tab: every required column present exactly once."""
        return not self.missing and not self.duplicated_headers

    def header_problem(self) -> str:
        """Why the tool must not write this tab (its header problems, each naming the column and the fix)."""
        return " ".join(p for p in self.problems if "header" in p or "column" in p)

    def require_writable(self) -> None:
        """Raise ``SchemaError`` naming the tab, the header and the fix when writing is unsafe."""
        if not self.writable:
            raise SchemaError(self.header_problem())

    def raw(self, row_number: int, header: str) -> Any:
        """The raw value at a 1-based sheet row under ``header`` ("" when empty or absent)."""
        i = self.col.get(header)
        if i is None:
            return ""
        row = self.rows[row_number - 2] if 0 <= row_number - 2 < len(self.rows) else []
        return row[i] if i < len(row) else ""

    def typed(self, row_number: int, header: str) -> Any:
        """One cell, parsed as its column's type (unparsable → None/False/text as in ``record``)."""
        kind = self._kind(header)
        if kind is None or kind in _TEXT_KINDS:
            return self._parse(row_number, header)  # the text itself: nothing worth keeping a column for
        parsed = self._typed.get(header)
        if parsed is None:
            parsed = self._typed[header] = [_UNPARSED] * len(self.rows)
        i = row_number - 2
        if not 0 <= i < len(parsed):
            return self._parse(row_number, header)
        value = parsed[i]
        if value is _UNPARSED:
            value = parsed[i] = self._parse(row_number, header)
        return value

    def typed_column(self, header: str) -> list[Any]:
        """Every cell of one column parsed as its type, one per data row (row 2 first): the parsed cells are
        kept, so across cycles only the cells that changed are parsed again. Do not change the list."""
        parsed = self._typed.get(header)
        if parsed is None:
            parsed = self._typed[header] = [_UNPARSED] * len(self.rows)
        if _UNPARSED in parsed:
            for i, value in enumerate(parsed):
                if value is _UNPARSED:
                    parsed[i] = self._parse(i + 2, header)
        return parsed

    def adopt_parsed(self, older: Table) -> None:
        """Reuse ``older``'s parsed cells (an earlier read of the same tab) for the rows that read exactly as
        they did then, matched by key — people sort and insert rows — so a re-read after a person's edit parses
        only the rows that changed. Rows compare in C; nothing is reused when the header moved."""
        if older.header != self.header or not older._typed or not self.tab.key:
            return
        old_rows, rows, older_keys = older.rows, self.rows, older.key_rows
        source = [-1] * len(rows)
        for key, number in self.key_rows.items():
            then = older_keys.get(key)
            if then is not None and old_rows[then - 2] == rows[number - 2]:
                source[number - 2] = then - 2
        self.carry(older, source, {})

    def carry(self, older: Table, source: Sequence[int], stale: Mapping[str, Collection[int]]) -> None:
        """Take over ``older``'s parsed cells, scanned columns and times: row i of this table is ``older``'s row
        ``source[i]`` (-1: a row of its own, taken afresh), except the ``stale`` cells (header → 0-based
        rows), which are taken afresh too."""
        if isinstance(source, range) and source.start == 0 and source.step == 1:
            self._take_over(older, *_in_place(len(source), len(source)), (), stale)  # every row where it was
            return
        picks = np.asarray(source, dtype=np.int64)
        own = np.flatnonzero(picks < 0).tolist()
        kept = len(picks) - len(own)
        if kept <= len(older.rows) and np.array_equal(picks[:kept], np.arange(kept)) and (picks[kept:] < 0).all():
            # Nobody sorted: the rows are the older table's, in order, then new ones — its lists are reused.
            self._take_over(older, *_in_place(kept, len(picks)), own, stale)
            return
        self._take_over(older, lambda values, missing: rearranged(values, source, missing),
                        lambda times: np.concatenate([times, np.array([_STALE_TIME], dtype=np.int64)])[picks],
                        own, stale)

    def micros(self, header: str) -> np.ndarray:
        """A date-time column as int64 microseconds since 1970 UTC, one per data row (``cells.NO_TIME`` where
        the cell holds no date and time): the figures compare and subtract whole columns. Kept across cycles:
        only the cells that changed are converted again. Do not change the array."""
        times = self._micros.get(header)
        if times is None:
            parsed = self._typed.get(header)
            if parsed is not None and _UNPARSED not in parsed:
                cells = map(microseconds, parsed)
            else:  # parsed and let go: 100,000 datetime objects held beside their times are 5 MB for nothing
                cells = (microseconds(self._parse_value(raw, header)) for raw in self.column(header))
            times = np.fromiter(cells, np.int64, len(self.rows))
        else:
            for i in np.flatnonzero(times == _STALE_TIME).tolist():
                times[i] = microseconds(self.typed(i + 2, header))
        self._micros[header] = times
        return times

    def keep_parsed(self, older: Table, stale: Mapping[str, Collection[int]]) -> None:
        """Reuse ``older``'s parsed cells, scanned columns and times (this table is ``older`` with some cells
        written and rows appended): every cell but the ``stale`` ones (header → row numbers) is the same. The
        older table's lists become this one's, extended in place."""
        n, kept = len(self.rows), min(len(older.rows), len(self.rows))
        self._take_over(older, *_in_place(kept, n), range(kept, n),
                        {h: [r - 2 for r in rows if 0 <= r - 2 < n] for h, rows in stale.items()})
        self.parent_token = older.token

    def _take_over(self, older: Table, move: Callable[[list[Any], Any], list[Any]],
                   move_times: Callable[[np.ndarray], np.ndarray], own: Iterable[int],
                   stale: Mapping[str, Collection[int]]) -> None:
        """``carry`` and ``keep_parsed``: ``older``'s lists moved to this table's rows (``move(values,
        missing)``, ``move_times``); this table's ``own`` rows and the ``stale`` cells (0-based) taken afresh."""
        own = list(own)
        for header, values in older._typed.items():
            if header in self.col:
                taken = move(values, _UNPARSED)
                for i in stale.get(header, ()):
                    taken[i] = _UNPARSED
                self._typed[header] = taken
        for header, values in older._columns.items():
            if header in self.col:
                taken, c = move(values, ""), self.col[header]
                for i in itertools.chain(own, stale.get(header, ())):
                    row = self.rows[i]
                    taken[i] = row[c] if c < len(row) else ""
                self._columns[header] = taken
        for header, times in older._micros.items():
            if header in self.col:
                moved = move_times(times)
                moved[list(stale.get(header, ()))] = _STALE_TIME
                self._micros[header] = moved
        # Handed over — the lists may now be this table's, changed in place: the older table is done with, and
        # would rebuild what it is asked for from its rows.
        older._typed, older._micros, older._columns, older._filled = {}, {}, {}, {}

    def _kind(self, header: str) -> str | None:
        """The column's type in the schema (None: not the schema's)."""
        kinds = self._kinds
        if not kinds:
            kinds = self._kinds = {c.header: c.type for c in self.tab.columns}
        return kinds.get(header)

    def _parse(self, row_number: int, header: str) -> Any:
        return self._parse_value(self.raw(row_number, header), header)

    def _parse_value(self, raw: Any, header: str) -> Any:
        kind = self._kind(header)
        if kind is None:
            return as_text(raw)
        try:
            return parse_cell(raw, kind, self.tz)
        except CellValueError:
            return {"checkbox": False, "datetime": None, "date": None, "number": None}.get(kind, as_text(raw))

    def column(self, header: str) -> list[Any]:
        """The raw values of one column, one per data row (row 2 first). Built once per table (the rows never
        change in place): several jobs scan the same columns each cycle. Do not change the list."""
        cached = self._columns.get(header)
        if cached is not None:
            return cached
        i = self.col.get(header)
        values = [""] * len(self.rows) if i is None else [row[i] if i < len(row) else "" for row in self.rows]
        self._columns[header] = values
        return values

    def filled(self, header: str) -> list[bool]:
        """Per data row (row 2 first), whether the cell under ``header`` holds anything but spaces — what
        ``as_text(raw).strip()`` says, without a call per cell: jobs scan 100,000-row columns for it each cycle.
        Built once per table. Do not change the list."""
        cached = self._filled.get(header)
        if cached is None:
            cached = self._filled[header] = [v != "" and (v.__class__ is not str or not v.isspace())
                                             and v is not None for v in self.column(header)]
        return cached

    def record(self, row_number: int) -> dict[str, Any]:
        """A row as a dict of typed values keyed by header, plus ``_row``; unparsable cells stay text and are
        listed under ``_problems``."""
        row = self.rows[row_number - 2] if 0 <= row_number - 2 < len(self.rows) else []
        out: dict[str, Any] = {"_row": row_number}
        problems: list[str] = []
        for column in self.tab.columns:
            i = self.col.get(column.header)
            raw = row[i] if i is not None and i < len(row) else ""
            try:
                out[column.header] = parse_cell(raw, column.type, self.tz)
            except CellValueError as exc:
                # Unreadable dates, numbers and checkboxes are None: each reader applies its own safe default
                # (an unreadable Send does not send; an unreadable Active keeps the department active).
                out[column.header] = None if column.type in ("datetime", "date", "number", "checkbox") else as_text(raw)
                problems.append(f"{self.tab.title}!{column_letter(i or 0)}{row_number} ({column.header}): {exc}")
        for name, i in self.col.items():
            if name not in out:
                out[name] = as_text(row[i]) if i < len(row) else ""
        if problems:
            out["_problems"] = problems
        return out

    def cell_problems(self, row_number: int, allowed: Mapping[str, Collection[str]] | None = None) -> list[str]:
        """What is wrong in one row's cells, each message naming the cell (``Tracker!E7 (Received At)``), the
        value and the fix: values a column's type cannot hold, and enum values outside the allowed list.

        ``allowed`` gives the values of enum columns filled from another tab (Department ← Departments!A2:A);
        an enum column with neither schema values nor an entry here is not checked.
        """
        row = self.rows[row_number - 2] if 0 <= row_number - 2 < len(self.rows) else []
        problems: list[str] = []
        for column in self.tab.columns:
            i = self.col.get(column.header)
            raw = row[i] if i is not None and i < len(row) else ""
            if i is None or raw in ("", None):
                continue
            where = f"{self.tab.title}!{column_letter(i)}{row_number} ({column.header})"
            try:
                value = parse_cell(raw, column.type, self.tz)
            except CellValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if column.type != "enum":
                continue
            values = allowed.get(column.header) if allowed and column.header in allowed else column.values
            if values and value not in values:
                shown = ", ".join(v for v in values if v)
                source = f" (from {column.values_from.split('!')[0]})" if column.values_from else ""
                problems.append(f"{where}: {value!r} is not a valid {column.header}; use one of: {shown}{source}")
        return problems

    def row_numbers(self) -> Iterator[int]:
        """1-based sheet row numbers of non-empty data rows."""
        for offset, row in enumerate(self.rows):
            if any(cell not in ("", None) for cell in row):
                yield offset + 2

    def records(self) -> list[dict[str, Any]]:
        """Every non-empty row as typed records (for small tabs; the Tracker uses ``column`` first)."""
        return [self.record(n) for n in self.row_numbers()]
