"""Formula functions that look things up or work on whole ranges: VLOOKUP, XLOOKUP, INDEX, MATCH, the
COUNTIF/SUMIF/AVERAGEIF families, UNIQUE, FILTER, SORT, ROWS, COLUMNS.

Not found is ``#N/A``; an index outside the range is ``#REF!``; ranges of different sizes are ``#VALUE!``;
all as Google documents them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .formula import Evaluation, Node
from .formula_functions import arity
from .formula_values import (
    Array,
    FormulaError,
    as_array,
    check,
    compare,
    criterion,
    integer,
    order_key,
    same,
    scalar,
    truthy,
    wildcard,
)

Function = Callable[[list[Any]], Any]


def _approximate(values: list[Any], key: Any, descending: bool = False) -> int | None:
    """Index of the last value <= key (>= for descending) before the order breaks, as sorted lookups do."""
    found = None
    for i, v in enumerate(values):
        if v is None or isinstance(v, bool) != isinstance(key, bool) \
                or isinstance(v, str) != isinstance(key, str):
            continue
        if compare(">=" if descending else "<=", v, key):
            found = i
        else:
            break
    return found


def _exact(values: list[Any], key: Any, wild: bool = False, reverse: bool = False) -> int | None:
    """Index of the first (or last) value equal to key; text compares case-insensitively."""
    order = range(len(values) - 1, -1, -1) if reverse else range(len(values))
    pattern = wildcard(key) if wild and isinstance(key, str) else None
    for i in order:
        v = values[i]
        if pattern is not None:
            if isinstance(v, str) and pattern.fullmatch(v):
                return i
        elif same(v, key) and v is not None:
            return i
    return None


def _vector(arg: Any) -> tuple[list[Any], bool]:
    """A one-row or one-column range as a list, and whether it is a row; a 2-D range is ``#N/A``."""
    array = as_array(arg)
    if array.width == 1:
        return [r[0] for r in array.rows], False
    if array.height == 1:
        return list(array.rows[0]), True
    raise FormulaError("#N/A")


@arity(3, 4)
def _vlookup(args: list[Any]) -> Any:
    key, table = scalar(args[0]), as_array(args[1])
    index = integer(args[2])
    if index < 1:
        raise FormulaError("#VALUE!")
    if index > table.width:
        raise FormulaError("#REF!")
    sorted_ = truthy(args[3]) if len(args) > 3 else True
    firsts = [row[0] for row in table.rows]
    row = _approximate(firsts, key) if sorted_ else _exact(firsts, key, wild=True)
    if row is None:
        raise FormulaError("#N/A")
    return table.rows[row][index - 1]


@arity(3, 4)
def _hlookup(args: list[Any]) -> Any:
    table = as_array(args[1])
    flipped = Array(table.columns())
    return _vlookup([args[0], flipped, *args[2:]])


@arity(2, 3)
def _match(args: list[Any]) -> float:
    key = scalar(args[0])
    values, _ = _vector(args[1])
    mode = integer(args[2]) if len(args) > 2 else 1
    if mode == 0:
        found = _exact(values, key, wild=True)
    else:
        found = _approximate(values, key, descending=mode < 0)
    if found is None:
        raise FormulaError("#N/A")
    return float(found + 1)


@arity(3, 6)
def _xlookup(args: list[Any]) -> Any:
    key = scalar(args[0])
    keys, is_row = _vector(args[1])
    results = as_array(args[2])
    length = results.width if is_row else results.height
    if length != len(keys):
        raise FormulaError("#VALUE!")
    match_mode = integer(args[4]) if len(args) > 4 else 0
    reverse = len(args) > 5 and integer(args[5]) < 0
    found = _xlookup_index(keys, key, match_mode, reverse)
    if found is None:
        if len(args) > 3 and args[3] is not None:
            return args[3]
        raise FormulaError("#N/A")
    if is_row:
        return Array([[row[found]] for row in results.rows])
    return Array([results.rows[found]])


def _xlookup_index(keys: list[Any], key: Any, match_mode: int, reverse: bool) -> int | None:
    """XLOOKUP's match modes: 0 exact, 2 wildcard, -1 exact or next smaller, 1 exact or next larger."""
    if match_mode in (0, 2):
        return _exact(keys, key, wild=match_mode == 2, reverse=reverse)
    exact = _exact(keys, key, reverse=reverse)
    if exact is not None:
        return exact
    best = None
    for i, v in enumerate(keys):
        if v is None or order_key(v)[0] != order_key(key)[0]:
            continue
        better = (compare("<", v, key) and (best is None or compare(">", v, keys[best]))) if match_mode < 0 \
            else (compare(">", v, key) and (best is None or compare("<", v, keys[best])))
        if better:
            best = i
    return best


@arity(1, 3)
def _index(args: list[Any]) -> Any:
    table = as_array(args[0])
    row = integer(args[1]) if len(args) > 1 and args[1] is not None else 0
    col = integer(args[2]) if len(args) > 2 and args[2] is not None else 0
    if table.height == 1 and len(args) == 2:
        row, col = 0, row  # INDEX(A1:E1, 3) counts along the row
    if row < 0 or col < 0 or row > table.height or col > table.width:
        raise FormulaError("#REF!")
    if row and col:
        return table.rows[row - 1][col - 1]
    if row:
        return Array([table.rows[row - 1]])
    if col:
        return Array([[r[col - 1]] for r in table.rows])
    return table


# --- the *IF(S) family ----------------------------------------------------------------------------------


def _pairs(args: list[Any]) -> list[bool]:
    """For (range, criterion) pairs: which positions meet every criterion; ranges must be one size."""
    if not args or len(args) % 2:
        raise FormulaError("#N/A")
    shape = None
    hits: list[bool] | None = None
    for i in range(0, len(args), 2):
        rng = as_array(args[i])
        if shape is not None and (rng.height, rng.width) != shape:
            raise FormulaError("#VALUE!")
        shape = (rng.height, rng.width)
        test = criterion(args[i + 1])
        column = [test(v) for v in rng.flat()]
        hits = column if hits is None else [a and b for a, b in zip(hits, column, strict=True)]
    return hits or []


def _picked(values: Array, hits: list[bool]) -> list[float]:
    """The numbers of ``values`` at the hit positions (text and blanks are skipped, errors raised)."""
    out = []
    for v, hit in zip(values.flat(), hits, strict=False):
        if hit:
            check(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(v)
    return out


def _same_shape(values: Array, like: Array) -> Array:
    """SUMIF's sum range is taken at the size of the criteria range, from its top-left cell."""
    rows = [list(r[:like.width]) + [None] * (like.width - len(r[:like.width])) for r in values.rows[:like.height]]
    rows += [[None] * like.width for _ in range(like.height - len(rows))]
    return Array(rows)


@arity(2, 2)
def _countif(args: list[Any]) -> float:
    return float(sum(_pairs(args)))


@arity(2)
def _countifs(args: list[Any]) -> float:
    return float(sum(_pairs(args)))


def _if_one(reduce: Callable[[list[float]], float]) -> Function:
    """SUMIF/AVERAGEIF: (range, criterion, [values range])."""
    @arity(2, 3)
    def func(args: list[Any]) -> float:
        rng = as_array(args[0])
        values = _same_shape(as_array(args[2]), rng) if len(args) > 2 else rng
        return reduce(_picked(values, _pairs(args[:2])))
    return func


def _if_many(reduce: Callable[[list[float]], float]) -> Function:
    """SUMIFS/AVERAGEIFS: (values range, range1, criterion1, ...)."""
    @arity(3)
    def func(args: list[Any]) -> float:
        values = as_array(args[0])
        first = as_array(args[1])
        if (values.height, values.width) != (first.height, first.width):
            raise FormulaError("#VALUE!")
        return reduce(_picked(values, _pairs(args[1:])))
    return func


def _mean(values: list[float]) -> float:
    if not values:
        raise FormulaError("#DIV/0!")
    return sum(values) / len(values)


# --- arrays ---------------------------------------------------------------------------------------------


@arity(1, 3)
def _unique(args: list[Any]) -> Array:
    table = as_array(args[0])
    by_column = len(args) > 1 and truthy(args[1])
    once = len(args) > 2 and truthy(args[2])
    lines = table.columns() if by_column else [list(r) for r in table.rows]
    counts: dict[tuple[Any, ...], int] = {}
    order: list[tuple[Any, ...]] = []
    for line in lines:
        key = tuple(_unique_key(v) for v in line)
        if key not in counts:
            order.append(key)
            counts[key] = 0
        counts[key] += 1
    first = {tuple(_unique_key(v) for v in line): line for line in reversed(lines)}
    kept = [first[k] for k in order if not once or counts[k] == 1]
    if not kept:
        raise FormulaError("#N/A")
    return Array([list(c) for c in zip(*kept, strict=True)]) if by_column else Array(kept)


def _unique_key(value: Any) -> Any:
    check(value)
    return ("", None) if value in (None, "") else (type(value) is bool, value)


def _filter(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    if len(nodes) < 2:
        raise FormulaError("#N/A")
    table = as_array(ev.eval(nodes[0]))
    conditions = [as_array(ev.eval_array(n)) for n in nodes[1:]]
    by_rows = all(c.width == 1 and c.height == table.height for c in conditions)
    by_cols = all(c.height == 1 and c.width == table.width for c in conditions)
    if not (by_rows or by_cols):
        raise FormulaError("#VALUE!")  # "FILTER has mismatched range sizes"
    lines = table.rows if by_rows else table.columns()
    flags = [c.flat() for c in conditions]
    kept = [line for i, line in enumerate(lines) if all(truthy(f[i]) for f in flags)]
    if not kept:
        raise FormulaError("#N/A")  # "No matches are found in FILTER evaluation."
    return Array(kept) if by_rows else Array([list(r) for r in zip(*kept, strict=True)])


@arity(1)
def _sort(args: list[Any]) -> Array:
    from functools import cmp_to_key

    table = as_array(args[0])
    specs = [(integer(args[i]) - 1, truthy(args[i + 1]) if i + 1 < len(args) else True)
             for i in range(1, len(args), 2)] or [(0, True)]
    if any(not 0 <= col < table.width for col, _ in specs):
        raise FormulaError("#VALUE!")

    def cmp(a: list[Any], b: list[Any]) -> int:
        for col, ascending in specs:
            ka, kb = order_key(a[col]), order_key(b[col])
            if a[col] is None or b[col] is None:
                if a[col] is None and b[col] is None:
                    continue
                return 1 if a[col] is None else -1  # blanks last
            if ka != kb:
                return (-1 if ka < kb else 1) * (1 if ascending else -1)
        return 0

    return Array(sorted(table.rows, key=cmp_to_key(cmp)))


LOOKUP_FUNCTIONS: dict[str, Function] = {
    "VLOOKUP": _vlookup,
    "HLOOKUP": _hlookup,
    "XLOOKUP": _xlookup,
    "MATCH": _match,
    "INDEX": _index,
    "COUNTIF": _countif,
    "COUNTIFS": _countifs,
    "SUMIF": _if_one(sum),
    "SUMIFS": _if_many(sum),
    "AVERAGEIF": _if_one(_mean),
    "AVERAGEIFS": _if_many(_mean),
    "UNIQUE": _unique,
    "SORT": _sort,
    "ROWS": arity(1, 1)(lambda a: float(as_array(a[0]).height)),
    "COLUMNS": arity(1, 1)(lambda a: float(as_array(a[0]).width)),
}

LOOKUP_SPECIAL_FORMS = {"FILTER": _filter}
