"""Formula functions: logical, math and aggregation, text; the registry the evaluator looks names up in.

Ordinary functions take their evaluated arguments (``FUNCTIONS``); special forms (``SPECIAL_FORMS``) take the
argument trees and the evaluation, because they decide what to evaluate (IF, IFERROR), evaluate in array
mode (ARRAYFORMULA) or need the formula's context (ROW, TODAY). A wrong number of arguments is ``#N/A``, as
in Sheets ("Wrong number of arguments to IF").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .formula import Evaluation, Node, broadcast
from .formula_values import (
    Array,
    ErrorValue,
    FormulaError,
    as_array,
    check,
    integer,
    number,
    numbers_of,
    raise_error,
    scalar,
    text,
    truthy,
    values_of,
)

Function = Callable[[list[Any]], Any]
SpecialForm = Callable[[Evaluation, tuple[Node, ...]], Any]


def arity(low: int, high: int | None = None) -> Callable[[Function], Function]:
    """Refuse a call with fewer than ``low`` or more than ``high`` arguments with ``#N/A``."""
    def wrap(func: Function) -> Function:
        def checked(args: list[Any]) -> Any:
            if len(args) < low or (high is not None and len(args) > high):
                raise FormulaError("#N/A")
            return func(args)
        checked.__doc__ = func.__doc__
        return checked
    return wrap


def _special_arity(low: int, high: int | None = None) -> Callable[[SpecialForm], SpecialForm]:
    def wrap(func: SpecialForm) -> SpecialForm:
        def checked(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
            if len(nodes) < low or (high is not None and len(nodes) > high):
                raise FormulaError("#N/A")
            return func(ev, nodes)
        return checked
    return wrap


# --- logical (special forms: only the branch taken is evaluated) ----------------------------------------


@_special_arity(2, 3)
def _if(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    cond = ev.eval(nodes[0])
    if ev.ctx.array_mode and isinstance(cond, Array):
        yes = _caught(ev, nodes[1])
        no = _caught(ev, nodes[2]) if len(nodes) > 2 else False
        return broadcast(lambda c, y, n: y if truthy(c) else n, cond, yes, no)
    if truthy(ev.intersect(cond)):
        return ev.eval(nodes[1])
    return ev.eval(nodes[2]) if len(nodes) > 2 else False


def _caught(ev: Evaluation, node: Node) -> Any:
    """A branch evaluated for element-wise IF: an error becomes a value that only its elements show."""
    try:
        return ev.eval(node)
    except FormulaError as err:
        return ErrorValue(err.code)


@_special_arity(2)
def _ifs(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    if len(nodes) % 2:
        raise FormulaError("#N/A")
    for i in range(0, len(nodes), 2):
        if truthy(ev.intersect(ev.eval(nodes[i]))):
            return ev.eval(nodes[i + 1])
    raise FormulaError("#N/A")  # Sheets: "No match"


def _iferror_of(codes: tuple[str, ...] | None) -> SpecialForm:
    """IFERROR (any error) or IFNA (only #N/A): the fallback, element by element for an array."""
    def caught(code: str) -> bool:
        return codes is None or code in codes

    @_special_arity(1, 2)
    def form(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
        fallback = (lambda: ev.eval(nodes[1])) if len(nodes) > 1 else (lambda: "")
        try:
            value = ev.eval(nodes[0])
        except FormulaError as err:
            if caught(err.code):
                return fallback()
            raise
        if isinstance(value, Array):
            if not any(isinstance(v, ErrorValue) and caught(v) for v in value.flat()):
                return value
            alt = scalar(fallback())
            return value.map(lambda v: alt if isinstance(v, ErrorValue) and caught(v) else v)
        if isinstance(value, ErrorValue) and caught(value):
            return fallback()
        return value
    return form


@_special_arity(3)
def _switch(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    from .formula_values import same

    subject = scalar(ev.intersect(ev.eval(nodes[0])))
    pairs = nodes[1:]
    for i in range(0, len(pairs) - 1, 2):
        if same(subject, scalar(ev.intersect(ev.eval(pairs[i])))):
            return ev.eval(pairs[i + 1])
    if len(pairs) % 2:
        return ev.eval(pairs[-1])
    raise FormulaError("#N/A")


@_special_arity(1, 1)
def _arrayformula(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    return ev.eval_array(nodes[0])


def _position(axis: int) -> SpecialForm:
    """ROW()/COLUMN(): of the formula's own cell, or of a reference's first cell (1-based)."""
    @_special_arity(0, 1)
    def form(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
        if not nodes:
            if ev.ctx.home is None:
                raise FormulaError("#N/A")
            return float(ev.ctx.home[axis] + 1)
        node = nodes[0]
        if node[0] != "ref":
            raise FormulaError("#N/A")
        ref = node[1]
        index = ref.r1 if axis == 0 else ref.c1
        return float((index or 0) + 1)
    return form


def _bools(args: list[Any]) -> list[bool]:
    out = []
    for arg in args:
        if isinstance(arg, Array):
            for v in arg.flat():
                check(v)
                if isinstance(v, (bool, int, float)):
                    out.append(bool(v))
        else:
            out.append(truthy(arg))
    if not out:
        raise FormulaError("#VALUE!")
    return out


# --- math and aggregation -------------------------------------------------------------------------------


def _average(args: list[Any]) -> float:
    values = numbers_of(args)
    if not values:
        raise FormulaError("#DIV/0!")
    return sum(values) / len(values)


def _round_half_away(value: float, digits: int, mode: str = "half") -> float:
    factor = 10.0 ** digits
    scaled = abs(value) * factor
    # A tiny epsilon absorbs binary noise (2.675 is 2.67499999...): Sheets rounds what it shows.
    rounded = {"half": math.floor(scaled + 0.5 + 1e-9), "up": math.ceil(scaled - 1e-9),
               "down": math.floor(scaled + 1e-9)}[mode]
    return math.copysign(rounded / factor, value) if rounded else 0.0


def _rounder(mode: str) -> Function:
    @arity(1, 2)
    def func(args: list[Any]) -> float:
        return _round_half_away(number(args[0]), integer(args[1]) if len(args) > 1 else 0, mode)
    return func


@arity(2, 2)
def _mod(args: list[Any]) -> float:
    a, b = number(args[0]), number(args[1])
    if b == 0:
        raise FormulaError("#DIV/0!")
    return a - b * math.floor(a / b)


def _counta(args: list[Any]) -> float:
    return float(sum(1 for arg in args for v in values_of(arg) if v is not None and v != ""))


def _countblank(args: list[Any]) -> float:
    return float(sum(1 for arg in args for v in values_of(arg) if v is None or v == ""))


def _sumproduct(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    if not nodes:
        raise FormulaError("#N/A")
    arrays = [as_array(ev.eval_array(n)) for n in nodes]
    shape = (arrays[0].height, arrays[0].width)
    if any((a.height, a.width) != shape for a in arrays):
        raise FormulaError("#VALUE!")
    total = 0.0
    for cells in zip(*(a.flat() for a in arrays), strict=True):
        product = 1.0
        for v in cells:
            check(v)
            product *= v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
        total += product
    return total


# --- text -----------------------------------------------------------------------------------------------


@arity(1, 2)
def _left(args: list[Any]) -> str:
    count = integer(args[1]) if len(args) > 1 else 1
    if count < 0:
        raise FormulaError("#VALUE!")
    return text(args[0])[:count]


@arity(1, 2)
def _right(args: list[Any]) -> str:
    count = integer(args[1]) if len(args) > 1 else 1
    if count < 0:
        raise FormulaError("#VALUE!")
    return text(args[0])[-count:] if count else ""


@arity(3, 3)
def _mid(args: list[Any]) -> str:
    start, count = integer(args[1]), integer(args[2])
    if start < 1 or count < 0:
        raise FormulaError("#VALUE!")
    return text(args[0])[start - 1:start - 1 + count]


@arity(2)
def _textjoin(args: list[Any]) -> str:
    delimiter = text(args[0])
    skip_empty = truthy(args[1])
    parts = []
    for arg in args[2:]:
        for v in values_of(arg):
            piece = text(v)
            if piece or not skip_empty:
                parts.append(piece)
    return delimiter.join(parts)


@arity(3, 4)
def _substitute(args: list[Any]) -> str:
    source, old, new = text(args[0]), text(args[1]), text(args[2])
    if not old:
        return source
    if len(args) < 4:
        return source.replace(old, new)
    nth = integer(args[3])
    if nth < 1:
        raise FormulaError("#VALUE!")
    index = -1
    for _ in range(nth):
        index = source.find(old, index + 1)
        if index < 0:
            return source
    return source[:index] + new + source[index + len(old):]


def _finder(case_sensitive: bool) -> Function:
    @arity(2, 3)
    def func(args: list[Any]) -> float:
        needle, haystack = text(args[0]), text(args[1])
        start = integer(args[2]) if len(args) > 2 else 1
        if start < 1 or start > len(haystack) + 1:
            raise FormulaError("#VALUE!")
        if not case_sensitive:
            needle, haystack = needle.lower(), haystack.lower()
        index = haystack.find(needle, start - 1)
        if index < 0:
            raise FormulaError("#VALUE!")
        return float(index + 1)
    return func


@arity(1, 1)
def _value(args: list[Any]) -> float:
    value = scalar(args[0])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    from .formula_dates import datevalue

    if isinstance(value, str):
        try:
            return number(value)
        except FormulaError:
            return datevalue([value])
    raise FormulaError("#VALUE!")


def _is_error(codes: tuple[str, ...] | None) -> SpecialForm:
    @_special_arity(1, 1)
    def form(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
        try:
            scalar(ev.intersect(ev.eval(nodes[0])))
        except FormulaError as err:
            return codes is None or err.code in codes
        return False
    return form


def _one(func: Callable[[Any], Any]) -> Function:
    """A one-argument function."""
    return arity(1, 1)(lambda args: func(args[0]))


FUNCTIONS: dict[str, Function] = {
    "SUM": lambda a: sum(numbers_of(a)),
    "AVERAGE": arity(1)(_average),
    "MIN": lambda a: min(numbers_of(a), default=0.0),
    "MAX": lambda a: max(numbers_of(a), default=0.0),
    "COUNT": lambda a: float(sum(1 for arg in a for v in values_of(arg)
                                 if isinstance(v, (int, float)) and not isinstance(v, bool))),
    "COUNTA": arity(1)(_counta),
    "COUNTBLANK": arity(1, 1)(_countblank),
    "ABS": _one(lambda v: abs(number(v))),
    "INT": _one(lambda v: float(math.floor(number(v)))),
    "ROUND": _rounder("half"),
    "ROUNDUP": _rounder("up"),
    "ROUNDDOWN": _rounder("down"),
    "MOD": _mod,
    "AND": arity(1)(lambda a: all(_bools(a))),
    "OR": arity(1)(lambda a: any(_bools(a))),
    "XOR": arity(1)(lambda a: sum(_bools(a)) % 2 == 1),
    "NOT": _one(lambda v: not truthy(v)),
    "TRUE": arity(0, 0)(lambda a: True),
    "FALSE": arity(0, 0)(lambda a: False),
    "NA": arity(0, 0)(lambda a: raise_error("#N/A")),
    "CONCATENATE": arity(1)(lambda a: "".join(text(v) for x in a for v in values_of(x))),
    "CONCAT": arity(2, 2)(lambda a: text(a[0]) + text(a[1])),
    "LEN": _one(lambda v: float(len(text(v)))),
    "UPPER": _one(lambda v: text(v).upper()),
    "LOWER": _one(lambda v: text(v).lower()),
    "PROPER": _one(lambda v: text(v).title()),
    "TRIM": _one(lambda v: " ".join(text(v).split())),
    "LEFT": _left,
    "RIGHT": _right,
    "MID": _mid,
    "TEXTJOIN": _textjoin,
    "SUBSTITUTE": _substitute,
    "FIND": _finder(True),
    "SEARCH": _finder(False),
    "REPT": arity(2, 2)(lambda a: text(a[0]) * max(0, integer(a[1]))),
    "EXACT": arity(2, 2)(lambda a: text(a[0]) == text(a[1])),
    "VALUE": _value,
    "ISBLANK": _one(lambda v: scalar(v) is None),
    "ISNUMBER": _one(lambda v: isinstance(_peek(v), (int, float)) and not isinstance(_peek(v), bool)),
    "ISTEXT": _one(lambda v: isinstance(_peek(v), str) and not isinstance(_peek(v), ErrorValue)),
}


def _peek(value: Any) -> Any:
    """A scalar without raising its error (ISNUMBER of an error is FALSE)."""
    if isinstance(value, Array):
        value = value.rows[0][0]
    return value


SPECIAL_FORMS: dict[str, SpecialForm] = {
    "IF": _if,
    "IFS": _ifs,
    "IFERROR": _iferror_of(None),
    "IFNA": _iferror_of(("#N/A",)),
    "SWITCH": _switch,
    "ARRAYFORMULA": _arrayformula,
    "SUMPRODUCT": _sumproduct,
    "ROW": _position(0),
    "COLUMN": _position(1),
    "ISERROR": _is_error(None),
    "ISNA": _is_error(("#N/A",)),
}


def _register() -> None:
    """Merge the lookup and date families in (kept in their own modules to stay small)."""
    from .formula_dates import DATE_FUNCTIONS, DATE_SPECIAL_FORMS
    from .formula_lookup import LOOKUP_FUNCTIONS, LOOKUP_SPECIAL_FORMS

    FUNCTIONS.update(LOOKUP_FUNCTIONS)
    FUNCTIONS.update(DATE_FUNCTIONS)
    SPECIAL_FORMS.update(LOOKUP_SPECIAL_FORMS)
    SPECIAL_FORMS.update(DATE_SPECIAL_FORMS)


_register()
