"""One tab as read: header lookup by text, typed rows on demand, and the problems that make writing unsafe.

Pure: built from the values grid of a ``values:batchGet`` (UNFORMATTED_VALUE, SERIAL_NUMBER).
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from gspread.utils import rowcol_to_a1

from ..errors import SchemaError
from ..schema import Tab
from .cells import NO_TIME, CellValueError, as_text, microseconds, parse_cell

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


class Rows(Sequence[list[Any]]):
    """A table's rows as a read returns them (``majorDimension=ROWS``: each without trailing empty cells), made
    from its columns on demand: a 100,000-row Tracker is held once, by column, not also as 100,000 row lists
    (27 MB). Each row asked for is a new list; changing it changes nothing."""

    def __init__(self, columns: list[list[Any]], height: int) -> None:
        self._columns, self._height = columns, height

    def __len__(self) -> int:
        return self._height

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._height))]
        if index < 0:
            index += self._height
        if not 0 <= index < self._height:
            raise IndexError("row index out of range")
        return _trimmed([column[index] for column in self._columns])

    def __iter__(self) -> Iterator[list[Any]]:
        if not self._columns:
            return iter([[] for _ in range(self._height)])
        return map(_trimmed, map(list, zip(*self._columns, strict=True)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows | list):
            return len(self) == len(other) and all(map(operator.eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({list(self)!r})"


def _trimmed(row: list[Any]) -> list[Any]:
    while row and row[-1] == "":
        row.pop()
    return row


def columns_of_rows(rows: Iterable[Sequence[Any]]) -> tuple[list[list[Any]], int]:
    """Rows (of any lengths) as columns of one height, short rows padded with empty cells; and the height."""
    rows = list(rows)
    return [list(column) for column in itertools.zip_longest(*rows, fillvalue="")], len(rows)


# In a list of per-row results (``Table.row_results``): not worked out yet for this row as it reads now.
MISS = object()


def _set_cells(columns: list[list[Any]], height: int, cells: Iterable[tuple[int, int, Any]]) -> None:
    """Set cells (0-based row, column index, raw value) in columns of ``height``, adding empty columns for a
    cell past the last."""
    for i, c, value in cells:
        while c >= len(columns):
            columns.append([""] * height)
        columns[c][i] = value


class Table:
    """A tab's values as read, with its header mapped by text.

    Cells are kept raw (as the API returned them), by column, and parsed only when asked, so a 100,000-row
    Tracker costs little when a job needs a few columns. ``rows`` gives them row by row.
    """

    def __init__(self, tab: Tab, header: list[Any], rows: Iterable[Sequence[Any]] | None, tz: ZoneInfo,
                 sheet_id: int | None = None, known_keys: dict[str, int] | None = None, *,
                 columns: tuple[list[list[Any]], int] | None = None) -> None:
        """``rows`` as a read returns them, or ``columns`` (each of the same height, and that height) — taken
        as they are, not copied. ``known_keys``: the key index when the caller already knows it (rows the tool
        wrote and appended to, every key on one row), so a 100,000-row table is not indexed again."""
        self.tab, self.tz, self.sheet_id = tab, tz, sheet_id
        self._cells, self._height = columns if columns is not None else columns_of_rows(rows or [])
        self.problems: list[str] = []
        self.missing: list[str] = []
        self.duplicated_headers: list[str] = []
        self.key_rows: dict[str, int] = {}
        self.duplicate_keys: dict[str, list[int]] = {}
        # Date-time columns as int64 microseconds (``micros``: a 100,000-row Tracker's dates are converted once
        # per process, not once per job per cycle) and the jobs' per-row results (``row_results``) are carried
        # across cycles with their rows — a runner keeps the table between cycles (``tracker.known``); ``filled``
        # is built once per table.
        self._filled: dict[str, list[bool]] = {}
        self._micros: dict[str, np.ndarray] = {}
        self._results: dict[str, tuple[Hashable, list[Any]]] = {}
        self._kinds: dict[str, str] = {}
        self._blank: list[Any] | None = None
        # Set once a newer table took this one's columns over (``moved``, ``written``): it may not be read.
        self._spent = False
        # Which read of the tab this is, and — for a table a runner derived from the previous one by applying
        # that cycle's own write (``tracker.known``) — that one's: jobs whose output depends only on the rows
        # use them to tell "the rows I last worked from" (``jobs.cycle.unchanged_since_last``).
        self.token: int = next(_TOKENS)
        self.parent_token: int | None = None
        self.header = trim_header(list(header))
        self._map_header()
        self._report_headers()
        if self.tab.key and self.tab.key in self.col:
            if known_keys is not None:
                self.key_rows = known_keys
            else:
                self._index_keys(self.col[self.tab.key])

    @classmethod
    def of_columns(cls, tab: Tab, columns: list[list[Any]], tz: ZoneInfo, sheet_id: int | None = None) -> Table:
        """A tab from a ``majorDimension=COLUMNS`` read of it (header row included; trailing empty cells left
        out): the columns are padded, their repeated cells shared, and the header cells taken off, in place."""
        even_columns(columns)
        header = [column[0] if column else "" for column in columns]
        for column in columns:
            del column[:1]
        height = len(columns[0]) if columns else 0
        return cls(tab, header, None, tz, sheet_id, columns=(columns, height))

    @property
    def rows(self) -> Rows:
        """The rows, each as a read returns it (see ``Rows``)."""
        return Rows(self._cells, self._height)

    def __repr__(self) -> str:
        return f"Table({self.tab.title!r}, {self._height} rows)"

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
        for offset, raw in enumerate(self._cells[k] if k < len(self._cells) else ()):
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
        if i is None or i >= len(self._cells) or not 0 <= row_number - 2 < self._height:
            return ""
        return self._cells[i][row_number - 2]

    def typed(self, row_number: int, header: str) -> Any:
        """One cell, parsed as its column's type (unparsable → None/False/text as in ``record``). Parsed at
        each ask: the jobs ask about the few rows they change, and a parsed cell kept for every row of a
        100,000-row Tracker (a datetime is 48 bytes, its list 0.8 MB a column) cost more than parsing again."""
        return self._parse(row_number, header)

    def typed_column(self, header: str) -> list[Any]:
        """Every cell of one column parsed as its type, one per data row (row 2 first), in a new list."""
        return [self._parse_value(raw, header) for raw in self.column(header)]

    def adopt_parsed(self, older: Table) -> None:
        """Reuse ``older``'s times and per-row results (an earlier read of the same tab) for the rows that read
        exactly as they did then, matched by key — people sort and insert rows — so a re-read after a person's
        edit works out only the rows that changed. Columns compare in C; nothing is reused when the
        header moved, or when ``older`` was already taken over."""
        if older._spent or older.header != self.header or not self.tab.key:
            return
        if not older._micros and not older._results:
            return
        older_keys = older.key_rows
        source = [-1] * self._height
        for key, number in self.key_rows.items():
            then = older_keys.get(key)
            if then is not None:
                source[number - 2] = then - 2
        width = max(len(self._cells), len(older._cells))
        for c in range(width):
            then = rearranged(older._cells[c] if c < len(older._cells) else older._blank_column(), source, MISS)
            now = self._cells[c] if c < len(self._cells) else self._blank_column()
            for i in itertools.compress(range(self._height), map(operator.ne, then, now)):
                source[i] = -1  # a row that reads otherwise now (or is new): its own
        self.carry(older, source, {})

    def carry(self, older: Table, source: Sequence[int], stale: Mapping[str, Collection[int]]) -> None:
        """Take over ``older``'s times and per-row results: row i of this table is ``older``'s row
        ``source[i]`` (-1: a row of its own, taken afresh), except the ``stale`` cells (header → 0-based
        rows), which are taken afresh too."""
        if isinstance(source, range) and source.start == 0 and source.step == 1:
            self._take_over(older, *_in_place(len(source), len(source)), (), stale)  # every row where it was
            return
        picks = np.asarray(source, dtype=np.int64)
        own = np.flatnonzero(picks < 0).tolist()
        kept = len(picks) - len(own)
        if kept <= older._height and np.array_equal(picks[:kept], np.arange(kept)) and (picks[kept:] < 0).all():
            # Nobody sorted: the rows are the older table's, in order, then new ones — its lists are reused.
            self._take_over(older, *_in_place(kept, len(picks)), own, stale)
            return
        self._take_over(older, lambda values, missing: rearranged(values, source, missing),
                        lambda times: np.concatenate([times, np.array([_STALE_TIME], dtype=np.int64)])[picks],
                        own, stale)

    def moved(self, source: Sequence[int], changed: Mapping[int, Mapping[int, Any]],
              known_keys: dict[str, int] | None = None) -> Table:
        """This tab as it is now, when row i is this table's row ``source[i]`` (-1: an empty row; a ``range``
        when every row is where it was) with the ``changed`` cells (column index → row index → raw value) —
        what a narrow re-read found (``tracker.narrow``). The new table takes over this one's columns (in
        place when no row moved), times and per-row results; this one is spent."""
        self._require_unspent()
        if isinstance(source, range):
            columns = self._cells
            for column in columns:
                del column[len(source):]  # rows deleted below the last
        else:
            columns = [rearranged(column, source, "") for column in self._cells]
        height = len(source)
        _set_cells(columns, height, ((i, c, value) for c, cells in changed.items() for i, value in cells.items()))
        table = Table(self.tab, list(self.header), None, self.tz, self.sheet_id, known_keys,
                      columns=(columns, height))
        table.carry(self, source, {self.header[c]: list(cells) for c, cells in changed.items()
                                   if cells and c < len(self.header)})
        self._spent = True
        return table

    def written(self, cells: Iterable[tuple[int, int, Any]], appended: Sequence[Sequence[Any]],
                stale: Mapping[str, Collection[int]], known_keys: dict[str, int] | None = None) -> Table:
        """This tab after the tool's own write (``tracker.known``): the ``cells`` (0-based row, column index,
        raw value) set and the ``appended`` rows added below; ``stale``, the written cells by header (row
        numbers). The new table takes over this one's columns in place, times and per-row results;
        this one is spent."""
        self._require_unspent()
        columns, height = self._cells, self._height
        width = max([len(columns), *map(len, appended)])
        columns.extend([""] * height for _ in range(width - len(columns)))
        for row in appended:
            for c, column in enumerate(columns):
                column.append(row[c] if c < len(row) else "")
        height += len(appended)
        _set_cells(columns, height, cells)
        table = Table(self.tab, list(self.header), None, self.tz, self.sheet_id, known_keys,
                      columns=(columns, height))
        table.keep_parsed(self, stale)
        self._spent = True
        return table

    def _require_unspent(self) -> None:
        if self._spent:
            raise RuntimeError(f"{self.tab.title}: this table was taken over by a newer one; read that one")

    def row_results(self, name: str, context: Hashable) -> list[Any]:
        """A job's results per row (one per data row, row 2 first; ``MISS`` where not worked out yet), for the
        job to fill: carried from table to table with their rows while a row reads the same — ``MISS`` again
        for a row any cell of which changed (a person's edit, the tool's own write), for a new row, and for
        every row when ``context`` (what else the results depend on) is not the one they were worked out in.
        So a job over a 100,000-row Tracker works out only what changed; a moved row keeps its result."""
        held = self._results.get(name)
        if held is None or held[0] != context:
            held = self._results[name] = (context, [MISS] * self._height)
        return held[1]

    def micros(self, header: str) -> np.ndarray:
        """A date-time column as int64 microseconds since 1970 UTC, one per data row (``cells.NO_TIME`` where
        the cell holds no date and time): the figures compare and subtract whole columns. Kept across cycles:
        only the cells that changed are converted again. Do not change the array."""
        times = self._micros.get(header)
        if times is None:
            # Parsed and let go: 100,000 datetime objects held beside their times are 5 MB for nothing.
            cells = (microseconds(self._parse_value(raw, header)) for raw in self.column(header))
            times = np.fromiter(cells, np.int64, self._height)
        else:
            for i in np.flatnonzero(times == _STALE_TIME).tolist():
                times[i] = microseconds(self.typed(i + 2, header))
        self._micros[header] = times
        return times

    def keep_parsed(self, older: Table, stale: Mapping[str, Collection[int]]) -> None:
        """Reuse ``older``'s times and per-row results (this table is ``older`` with some cells written and rows
        appended): every cell but the ``stale`` ones (header → row numbers) is the same. The
        older table's lists become this one's, extended in place."""
        n, kept = self._height, min(older._height, self._height)
        self._take_over(older, *_in_place(kept, n), range(kept, n),
                        {h: [r - 2 for r in rows if 0 <= r - 2 < n] for h, rows in stale.items()})
        self.parent_token = older.token

    def _take_over(self, older: Table, move: Callable[[list[Any], Any], list[Any]],
                   move_times: Callable[[np.ndarray], np.ndarray], own: Iterable[int],
                   stale: Mapping[str, Collection[int]]) -> None:
        """``carry`` and ``keep_parsed``: ``older``'s lists moved to this table's rows (``move(values,
        missing)``, ``move_times``); this table's ``own`` rows and the ``stale`` cells (0-based) taken afresh."""
        own = list(own)
        for header, times in older._micros.items():
            if header in self.col:
                moved = move_times(times)
                moved[list(stale.get(header, ()))] = _STALE_TIME
                self._micros[header] = moved
        if older._results:
            changed = {*own, *itertools.chain.from_iterable(stale.values())}
            for name, (context, values) in older._results.items():
                taken = move(values, MISS)
                for i in changed:
                    taken[i] = MISS
                self._results[name] = (context, taken)
        # Handed over — the lists may now be this table's, changed in place: the older table is done with.
        older._micros, older._filled, older._results = {}, {}, {}

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
        """The raw values of one column, one per data row (row 2 first): the table's own list (columns are how
        it holds its cells). Do not change the list."""
        i = self.col.get(header)
        if i is None or i >= len(self._cells):
            return self._blank_column()
        return self._cells[i]

    def _blank_column(self) -> list[Any]:
        if self._blank is None or len(self._blank) != self._height:
            self._blank = [""] * self._height
        return self._blank

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
        row = self.rows[row_number - 2] if 0 <= row_number - 2 < self._height else []
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
        row = self.rows[row_number - 2] if 0 <= row_number - 2 < self._height else []
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
