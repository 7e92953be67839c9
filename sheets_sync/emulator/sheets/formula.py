"""A small, safe formula evaluator: arithmetic, comparisons, ``&``, cell and range references, a few functions.

Google evaluates every formula; the emulator evaluates the common ones and answers the rest the way Google
answers a function it does not know (``#NAME?``). It never raises out and never runs arbitrary code: the
parser is a plain recursive descent over a token list, and any failure becomes a spreadsheet error value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .a1 import col_to_index


class FormulaError(Exception):
    """A spreadsheet error value such as ``#NAME?``, ``#DIV/0!``, ``#REF!`` or ``#ERROR!``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ErrorValue(str):
    """A rendered error value; a ``str`` so it serialises the way Google shows it (``#NAME?``)."""


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)
    | (?P<str>"(?:[^"]|"")*")
    | (?P<ref>(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_ ]*?)!\$?[A-Za-z]{1,3}\$?\d*(?::\$?[A-Za-z]{1,3}\$?\d*)?
             |\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![A-Za-z0-9_(])
             |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![A-Za-z0-9_(]))
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<op><>|<=|>=|[-+*/^&=<>(),;%:])
    )""", re.VERBOSE)

# (sheet title or None, start_row, end_row, start_col, end_col) -> 2-D list of evaluated values
RangeReader = Callable[[str | None, int, int | None, int, int | None], list[list[Any]]]


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split a formula body (without ``=``) into (kind, text) tokens; raises FormulaError on junk."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError("#ERROR!")
        kind = m.lastgroup or "op"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], read: RangeReader) -> None:
        self.tokens = tokens
        self.pos = 0
        self.read = read

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (expected is not None and tok[1] != expected):
            raise FormulaError("#ERROR!")
        self.pos += 1
        return tok

    def parse(self) -> Any:
        value = self.comparison()
        if self.peek() is not None:
            raise FormulaError("#ERROR!")
        return value

    def comparison(self) -> Any:
        left = self.concat()
        while (tok := self.peek()) and tok[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.take()
            right = self.concat()
            a, b = _scalar(left), _scalar(right)
            if isinstance(a, str) and isinstance(b, str):
                a, b = a.lower(), b.lower()
            elif isinstance(a, str) != isinstance(b, str):
                a, b = str(a), str(b)
            left = {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[tok[1]]
        return left

    def concat(self) -> Any:
        left = self.additive()
        while (tok := self.peek()) and tok[1] == "&":
            self.take()
            left = _text(left) + _text(self.additive())
        return left

    def additive(self) -> Any:
        left = self.term()
        while (tok := self.peek()) and tok[1] in ("+", "-"):
            self.take()
            right = _num(self.term())
            left = _num(left) + right if tok[1] == "+" else _num(left) - right
        return left

    def term(self) -> Any:
        left = self.power()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.take()
            right = _num(self.power())
            if tok[1] == "*":
                left = _num(left) * right
            else:
                if right == 0:
                    raise FormulaError("#DIV/0!")
                left = _num(left) / right
        return left

    def power(self) -> Any:
        left = self.unary()
        while (tok := self.peek()) and tok[1] == "^":
            self.take()
            left = _num(left) ** _num(self.unary())
        return left

    def unary(self) -> Any:
        tok = self.peek()
        if tok and tok[1] in ("-", "+"):
            self.take()
            value = _num(self.unary())
            return -value if tok[1] == "-" else value
        value = self.primary()
        if (nxt := self.peek()) and nxt[1] == "%":
            self.take()
            value = _num(value) / 100
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            return self.reference(text)
        if kind == "name":
            upper = text.upper()
            nxt = self.peek()
            if nxt and nxt[1] == "(":
                return self.call(upper)
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            raise FormulaError("#NAME?")
        if text == "(":
            value = self.comparison()
            self.take(")")
            return value
        raise FormulaError("#ERROR!")

    def reference(self, text: str) -> Any:
        title: str | None = None
        if "!" in text:
            title, _, text = text.rpartition("!")
            if title.startswith("'"):
                title = title[1:-1].replace("''", "'")
        text = text.replace("$", "")
        first, _, second = text.partition(":")
        r1, c1 = _cell(first)
        if second:
            r2, c2 = _cell(second)
            rows = self.read(title, r1 if r1 is not None else 0, None if r2 is None else r2 + 1,
                             c1, c2 + 1)
            return _Range(rows)
        return _scalar(_Range(self.read(title, r1 or 0, (r1 or 0) + 1, c1, c1 + 1)))

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        if (tok := self.peek()) and tok[1] == ")":
            self.take()
        else:
            while True:
                args.append(self.comparison())
                tok = self.take()
                if tok[1] == ")":
                    break
                if tok[1] not in (",", ";"):
                    raise FormulaError("#ERROR!")
        func = FUNCTIONS.get(name)
        if func is None:
            raise FormulaError("#NAME?")
        return func(args)


class _Range:
    """A range argument: functions like SUM flatten it; in a scalar context it is its first cell."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows

    def flat(self) -> list[Any]:
        return [v for row in self.rows for v in row]


def _cell(text: str) -> tuple[int | None, int]:
    m = re.match(r"^([A-Za-z]{1,3})(\d*)$", text)
    if not m:
        raise FormulaError("#REF!")
    return (int(m.group(2)) - 1 if m.group(2) else None), col_to_index(m.group(1))


def _scalar(value: Any) -> Any:
    if isinstance(value, _Range):
        flat = value.flat()
        value = flat[0] if flat else None
    if isinstance(value, ErrorValue):
        raise FormulaError(str(value))
    return value


def _num(value: Any) -> float:
    value = _scalar(value)
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        raise FormulaError("#VALUE!") from None


def _text(value: Any) -> str:
    value = _scalar(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value)


def _numbers(args: list[Any]) -> list[float]:
    out: list[float] = []
    for arg in args:
        if isinstance(arg, _Range):
            for v in arg.flat():
                if isinstance(v, ErrorValue):
                    raise FormulaError(str(v))
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(float(v))
        else:
            out.append(_num(arg))
    return out


def _round(args: list[Any]) -> float:
    digits = int(_num(args[1])) if len(args) > 1 else 0
    value = _num(args[0])
    factor = 10 ** digits
    return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)


def _if(args: list[Any]) -> Any:
    if len(args) < 2:
        raise FormulaError("#N/A")
    cond = _scalar(args[0])
    truthy = bool(_num(cond)) if not isinstance(cond, str) else cond.upper() == "TRUE"
    if truthy:
        return _scalar(args[1])
    return _scalar(args[2]) if len(args) > 2 else False


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "SUM": lambda a: sum(_numbers(a)),
    "AVERAGE": lambda a: (sum(n := _numbers(a)) / len(n)) if _numbers(a) else _raise("#DIV/0!"),
    "MIN": lambda a: min(_numbers(a), default=0.0),
    "MAX": lambda a: max(_numbers(a), default=0.0),
    "COUNT": lambda a: float(len(_numbers(a))),
    "COUNTA": lambda a: float(sum(1 for x in a for v in (x.flat() if isinstance(x, _Range) else [x])
                                  if v not in (None, ""))),
    "ABS": lambda a: abs(_num(a[0])),
    "ROUND": _round,
    "IF": _if,
    "AND": lambda a: all(bool(_num(v)) for v in a),
    "OR": lambda a: any(bool(_num(v)) for v in a),
    "NOT": lambda a: not bool(_num(a[0])),
    "CONCATENATE": lambda a: "".join(_text(v) for x in a for v in (x.flat() if isinstance(x, _Range) else [x])),
    "CONCAT": lambda a: _text(a[0]) + _text(a[1]),
    "LEN": lambda a: float(len(_text(a[0]))),
    "UPPER": lambda a: _text(a[0]).upper(),
    "LOWER": lambda a: _text(a[0]).lower(),
    "TRIM": lambda a: " ".join(_text(a[0]).split()),
}


def _raise(code: str) -> Any:
    raise FormulaError(code)


def evaluate(formula: str, read: RangeReader) -> Any:
    """The value of ``formula`` (with its leading ``=``): a number, text, bool, or an ErrorValue."""
    try:
        result = _Parser(tokenize(formula[1:]), read).parse()
        result = _scalar(result)
    except FormulaError as err:
        return ErrorValue(err.code)
    except (RecursionError, ArithmeticError, ValueError, TypeError, IndexError):
        # Never crash on a formula: whatever went wrong becomes Google's generic parse/eval error.
        return ErrorValue("#ERROR!")
    if isinstance(result, float):
        if math.isnan(result) or math.isinf(result):
            return ErrorValue("#NUM!")
        if result == int(result) and abs(result) < 1e15:
            return int(result)
    return "" if result is None else result
