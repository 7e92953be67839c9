"""A safe formula engine for the emulator: Google's syntax, its functions people use in a tracker, its errors.

The text is split into tokens (kept with their positions, so ``formula_refs`` can rewrite references when
rows move), parsed once into a small tree (cached by text), and the tree is evaluated against a reader that
returns the grid's calculated values. Nothing here runs arbitrary code or raises out: a parse failure is
Google's ``#ERROR!``, an unknown function ``#NAME?``, and so on.

Why our own engine and not the ``formulas`` package: see the README (Sheets emulator, "Formulas"). In short it
compiled a formula in ~1 ms against ~0.01 ms here, brought scipy/numpy/schedula, knows Excel rather than
Sheets (no ARRAYFORMULA, no ``#ERROR!``), and reference adjustment needs our own tokenizer anyway.

Array formulas: a range used with an operator is intersected with the formula's row or column, as in Sheets,
except inside ``ARRAYFORMULA`` (and the functions that take arrays natively, like FILTER and SUMPRODUCT),
where operators and IF work element by element. A formula whose result is an array spills (``grid``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .a1 import col_to_index
from .formula_values import Array, DateNumber, ErrorValue, FormulaError, check, compare, number, scalar, text

__all__ = ["ErrorValue", "FormulaError", "evaluate", "tokenize", "Token", "Ref", "parse_ref"]

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#ERROR!")

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>"(?:[^"]|"")*")
    | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?
        (?:\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d*)?
          |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}\$?\d*
          |\$?\d+:\$?\d+)
        (?![A-Za-z0-9_(!.]))
    | (?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)
    | (?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|ERROR!))
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<op><>|<=|>=|[-+*/^&=<>(),;%{}])
    )""", re.VERBOSE)

# (sheet title or None, start_row, end_row, start_col, end_col) -> 2-D list of evaluated values
RangeReader = Callable[[str | None, int, int | None, int, int | None], list[list[Any]]]
# A named range's name -> (sheet title, start_row, end_row, start_col, end_col), or None when undefined
NameResolver = Callable[[str], tuple[str | None, int, int | None, int, int | None] | None]


class Token(NamedTuple):
    """One token: its kind (str/ref/num/err/name/op), its text, and where it sits in the formula body."""

    kind: str
    text: str
    start: int
    end: int


def tokenize(body: str) -> list[Token]:
    """Split a formula body (without ``=``) into tokens; raises FormulaError(#ERROR!) on junk."""
    tokens: list[Token] = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise FormulaError("#ERROR!")
        kind = m.lastgroup or "op"
        tokens.append(Token(kind, m.group(kind), m.start(kind), m.end()))
        pos = m.end()
    return tokens


@dataclass(frozen=True)
class Ref:
    """A parsed reference: zero-based, inclusive ends; None for an open side (``A:A`` has no rows)."""

    title: str | None
    r1: int | None
    c1: int | None
    r2: int | None
    c2: int | None
    abs_r1: bool = False
    abs_c1: bool = False
    abs_r2: bool = False
    abs_c2: bool = False
    is_range: bool = False


_PART = re.compile(r"^(\$?)([A-Za-z]{0,3})(\$?)(\d*)$")


def _part(piece: str) -> tuple[int | None, int | None, bool, bool]:
    m = _PART.match(piece)
    if not m or not (m.group(2) or m.group(4)):
        raise FormulaError("#REF!")
    col = col_to_index(m.group(2)) if m.group(2) else None
    row = int(m.group(4)) - 1 if m.group(4) else None
    # "$A" is an absolute column; "$1" alone (row-only part) is an absolute row.
    abs_col = bool(m.group(1)) and col is not None
    abs_row = bool(m.group(3)) or (bool(m.group(1)) and col is None)
    if row is not None and row < 0:
        raise FormulaError("#REF!")
    return row, col, abs_row, abs_col


def parse_ref(token_text: str) -> Ref:
    """A reference token (``'My tab'!$A$2:B``) as a Ref."""
    title: str | None = None
    body = token_text
    if "!" in token_text:
        title, _, body = token_text.rpartition("!")
        if title.startswith("'"):
            title = title[1:-1].replace("''", "'")
    first, sep, second = body.partition(":")
    r1, c1, ar1, ac1 = _part(first)
    if not sep:
        return Ref(title, r1, c1, r1, c1, ar1, ac1, ar1, ac1)
    r2, c2, ar2, ac2 = _part(second)
    return Ref(title, r1, c1, r2, c2, ar1, ac1, ar2, ac2, True)


# --- parsing into a tree --------------------------------------------------------------------------------

Node = tuple[Any, ...]


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> Token:
        if self.pos >= len(self.tokens):
            raise FormulaError("#ERROR!")
        tok = self.tokens[self.pos]
        if expected is not None and tok.text != expected:
            raise FormulaError("#ERROR!")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.comparison()
        if self.pos != len(self.tokens):
            raise FormulaError("#ERROR!")
        return node

    def _binary(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        left = operand()
        while self.peek() in ops:
            op = self.take().text
            left = ("bin", op, left, operand())
        return left

    def comparison(self) -> Node:
        return self._binary(("=", "<>", "<", ">", "<=", ">="), self.concat)

    def concat(self) -> Node:
        return self._binary(("&",), self.additive)

    def additive(self) -> Node:
        return self._binary(("+", "-"), self.term)

    def term(self) -> Node:
        return self._binary(("*", "/"), self.power)

    def power(self) -> Node:
        return self._binary(("^",), self.unary)

    def unary(self) -> Node:
        if self.peek() in ("-", "+"):
            op = self.take().text
            return ("neg", self.unary()) if op == "-" else self.unary()
        node = self.primary()
        while self.peek() == "%":
            self.take()
            node = ("pct", node)
        return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("val", float(tok.text))
        if tok.kind == "str":
            return ("val", tok.text[1:-1].replace('""', '"'))
        if tok.kind == "ref":
            return ("ref", parse_ref(tok.text))
        if tok.kind == "err":
            return ("err", tok.text.upper())
        if tok.kind == "name":
            return self.name(tok.text)
        if tok.text == "(":
            node = self.comparison()
            self.take(")")
            return node
        if tok.text == "{":
            return self.array_literal()
        raise FormulaError("#ERROR!")

    def name(self, word: str) -> Node:
        upper = word.upper()
        if self.peek() == "(":
            return ("call", upper, self.arguments())
        if upper in ("TRUE", "FALSE"):
            return ("val", upper == "TRUE")
        return ("name", word)

    def arguments(self) -> tuple[Node, ...]:
        self.take("(")
        args: list[Node] = []
        if self.peek() == ")":
            self.take()
            return ()
        while True:
            # An empty argument (IF(A1,,1)) is a blank.
            args.append(("val", None) if self.peek() in (",", ")") else self.comparison())
            sep = self.take().text
            if sep == ")":
                return tuple(args)
            if sep not in (",", ";"):
                raise FormulaError("#ERROR!")

    def array_literal(self) -> Node:
        rows: list[list[Node]] = [[]]
        while True:
            rows[-1].append(self.comparison())
            sep = self.take().text
            if sep == "}":
                break
            if sep == ";":
                rows.append([])
            elif sep not in (",", "\\"):
                raise FormulaError("#ERROR!")
        if len({len(r) for r in rows}) != 1:
            raise FormulaError("#VALUE!")
        return ("arr", tuple(tuple(r) for r in rows))


@lru_cache(maxsize=4096)
def parse(body: str) -> Node:
    """The tree of a formula body (cached: a column of copied formulas parses each text once)."""
    return _Parser(tokenize(body)).parse()


# --- evaluation -----------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a formula can see besides its own text: the grid, named ranges, its own cell, the clock."""

    read: RangeReader
    names: NameResolver | None = None
    home: tuple[int, int] | None = None
    now: float | None = None  # Google's serial day number of "now" in the spreadsheet's time zone
    array_mode: bool = False


class Evaluation:
    """Walks a tree; functions call back into it for lazy arguments (IF, IFERROR) and array mode."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def eval(self, node: Node) -> Any:
        """The value of one node (a scalar, an ErrorValue, or an Array)."""
        kind = node[0]
        if kind == "val":
            return node[1]
        if kind == "ref":
            return self.reference(node[1])
        if kind == "bin":
            return self.binary(node[1], self.eval(node[2]), self.eval(node[3]))
        if kind == "call":
            return self.call(node[1], node[2])
        if kind == "neg":
            return self.elementwise(lambda v: -number(v), self.eval(node[1]))
        if kind == "pct":
            return self.elementwise(lambda v: number(v) / 100, self.eval(node[1]))
        if kind == "name":
            return self.named(node[1])
        if kind == "arr":
            return Array([[scalar(self.eval(n)) for n in row] for row in node[1]])
        raise FormulaError(node[1])  # "err": an error literal such as #REF! left by a deleted row

    def eval_array(self, node: Node) -> Any:
        """Evaluate a node in array mode (ARRAYFORMULA, FILTER's conditions, SUMPRODUCT)."""
        saved = self.ctx.array_mode
        self.ctx.array_mode = True
        try:
            return self.eval(node)
        finally:
            self.ctx.array_mode = saved

    def reference(self, ref: Ref) -> Any:
        """Read a reference: one cell gives its value, a range an Array that remembers where it came from."""
        r1, r2 = _span(ref.r1, ref.r2)
        c1, c2 = _span(ref.c1, ref.c2)
        rows = self.ctx.read(ref.title, r1, r2, c1, c2)
        if not ref.is_range:
            return rows[0][0] if rows and rows[0] else None
        if rows and isinstance(rows[0][0], ErrorValue) and rows[0][0] == "#REF!" and len(rows) == 1:
            raise FormulaError("#REF!")  # the reader's answer for a sheet that does not exist
        width = (c2 - c1) if c2 is not None else max((len(r) for r in rows), default=1)
        return Array(rows or [[None] * max(width, 1)], origin=(r1, c1))

    def named(self, name: str) -> Any:
        """A named range used in a formula (``=SUM(Budget)``); an unknown name is ``#NAME?``."""
        found = self.ctx.names(name) if self.ctx.names else None
        if found is None:
            raise FormulaError("#NAME?")
        title, r1, r2, c1, c2 = found
        rows = self.ctx.read(title, r1, r2, c1, c2)
        if r2 is not None and c2 is not None and r2 - r1 == 1 and c2 - c1 == 1:
            return rows[0][0] if rows and rows[0] else None
        return Array(rows or [[None]], origin=(r1, c1))

    def intersect(self, value: Any) -> Any:
        """A range in a scalar place outside array mode: the cell in the formula's own row or column."""
        if not isinstance(value, Array):
            return value
        if value.height == 1 and value.width == 1:
            return value.rows[0][0]
        home, origin = self.ctx.home, value.origin
        if home is None or origin is None:
            return value.rows[0][0]
        if value.width == 1 and origin[0] <= home[0] < origin[0] + value.height:
            return value.rows[home[0] - origin[0]][0]
        if value.height == 1 and origin[1] <= home[1] < origin[1] + value.width:
            return value.rows[0][home[1] - origin[1]]
        raise FormulaError("#VALUE!")

    def elementwise(self, func: Callable[..., Any], *values: Any) -> Any:
        """Apply a scalar operation: element by element in array mode, else on the intersected values."""
        if self.ctx.array_mode and any(isinstance(v, Array) for v in values):
            return broadcast(func, *values)
        return func(*(self.intersect(v) for v in values))

    def binary(self, op: str, left: Any, right: Any) -> Any:
        """An operator on two values (arrays element by element in array mode)."""
        return self.elementwise(_OPERATORS[op], left, right)

    def call(self, name: str, nodes: tuple[Node, ...]) -> Any:
        """Call a function: special forms get the nodes, ordinary functions the evaluated arguments."""
        from .formula_functions import FUNCTIONS, SPECIAL_FORMS

        special = SPECIAL_FORMS.get(name)
        if special is not None:
            return special(self, nodes)
        func = FUNCTIONS.get(name)
        if func is None:
            raise FormulaError("#NAME?")
        return func([self.eval(n) for n in nodes])


def _span(start: int | None, end: int | None) -> tuple[int, int | None]:
    """One axis of a reference as (start, exclusive end): an open start is 0, an open end stays None,
    and reversed ends (B5:A1) are put in order."""
    if start is not None and end is not None and start > end:
        start, end = end, start
    return (start if start is not None else 0), (None if end is None else end + 1)


def broadcast(func: Callable[..., Any], *values: Any) -> Array:
    """``func`` over arrays of matching shape (a scalar, a single row or a single column repeats); each
    element's error stays in that element, and cells outside a smaller array are ``#N/A`` as in Sheets."""
    arrays = [v for v in values if isinstance(v, Array)]
    height = max(a.height for a in arrays)
    width = max(a.width for a in arrays)

    def pick(value: Any, r: int, c: int) -> Any:
        if not isinstance(value, Array):
            return value
        rr = 0 if value.height == 1 else r
        cc = 0 if value.width == 1 else c
        if rr >= value.height or cc >= value.width:
            return ErrorValue("#N/A")
        return value.rows[rr][cc]

    out = []
    for r in range(height):
        row = []
        for c in range(width):
            try:
                row.append(func(*(pick(v, r, c) for v in values)))
            except FormulaError as err:
                row.append(ErrorValue(err.code))
        out.append(row)
    return Array(out)


def _add(a: Any, b: Any) -> Any:
    return _dated(number(a) + number(b), a, b)


def _sub(a: Any, b: Any) -> Any:
    result = number(a) - number(b)
    # date - date is a number of days; date - days is still a date
    if isinstance(scalar(b), DateNumber):
        return result
    return _dated(result, a, b)


def _dated(result: float, a: Any, b: Any) -> Any:
    for side in (scalar(a), scalar(b)):
        if isinstance(side, DateNumber):
            return DateNumber(result, side.kind)
    return result


def _div(a: Any, b: Any) -> float:
    divisor = number(b)
    dividend = number(a)
    if divisor == 0:
        raise FormulaError("#DIV/0!")
    return dividend / divisor


def _pow(a: Any, b: Any) -> float:
    base, exp = number(a), number(b)
    if base == 0 and exp < 0:
        raise FormulaError("#DIV/0!")
    result = base ** exp
    if isinstance(result, complex):
        raise FormulaError("#NUM!")
    return result


def _cmp(op: str) -> Callable[[Any, Any], bool]:
    return lambda a, b: compare(op, check(a), check(b))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add, "-": _sub, "*": lambda a, b: number(a) * number(b), "/": _div, "^": _pow,
    "&": lambda a, b: text(a) + text(b),
    **{op: _cmp(op) for op in ("=", "<>", "<", ">", "<=", ">=")},
}


def evaluate(formula: str, read: RangeReader, names: NameResolver | None = None,
             home: tuple[int, int] | None = None, now: float | None = None) -> Any:
    """The value of ``formula`` (with its leading ``=``): a number, text, bool, ErrorValue, or an Array
    (more than one cell) that the caller spills."""
    ctx = Context(read, names, home, now)
    try:
        result = Evaluation(ctx).eval(parse(formula[1:]))
        if isinstance(result, Array):
            if result.height == 1 and result.width == 1:
                result = result.rows[0][0]
            else:
                return Array([[_final(v) for v in row] for row in result.rows])
        return _final(check(result))
    except FormulaError as err:
        return ErrorValue(err.code)
    except (RecursionError, ArithmeticError, ValueError, TypeError, IndexError, OverflowError):
        # Never crash on a formula: whatever went wrong becomes Google's generic error.
        return ErrorValue("#ERROR!")


def _final(value: Any) -> Any:
    """A result as Sheets stores it: whole floats as ints (dates keep their type), NaN/inf as #NUM!."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ErrorValue("#NUM!")
        if not isinstance(value, DateNumber) and value == int(value) and abs(value) < 1e15:
            return int(value)
    return "" if value is None else value
