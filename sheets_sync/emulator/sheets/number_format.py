"""Number formats as Google Sheets renders them on FORMATTED_VALUE reads.

A ``numberFormat`` is ``{"type": NUMBER|PERCENT|CURRENCY|DATE|TIME|DATE_TIME|SCIENTIFIC|TEXT, "pattern": ...}``
with Google's pattern syntax (https://developers.google.com/sheets/api/guides/formats): up to four ``;``
sections (positive, negative, zero, text), ``"quoted"`` and ``\\x`` literals, ``[Red]`` colours and ``[>100]``
conditions, digit placeholders ``0 # ?``, ``,`` grouping (or, at the end, scaling by 1,000), ``%``, ``E+``,
``@`` for text, and the date/time tokens ``d m y h s am/pm`` (``m`` is minutes next to ``h`` or ``s``).

The numeric part is handed to Babel (``babel.numbers.format_decimal``): its LDML patterns share Sheets'
digit syntax, including secondary grouping, so ``#,##,##0`` groups the Indian way (12,34,567). Sheets rounds
half away from zero; Babel rounds with the decimal context, which is set to ROUND_HALF_UP here. Dates and
times are rendered by our own tokenizer: Babel's LDML date tokens differ from Sheets' (``m`` for minutes,
``M`` month), and the ambiguous ``m`` needs Sheets' own rule.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal

EPOCH = dt.datetime(1899, 12, 30)

# Google's defaults for a type given without a pattern (en_US / en_IN spreadsheets).
DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
    "SCIENTIFIC": "0.00E+00",
    "TEXT": "@",
}
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"?'
    r"|\\(?P<escaped>.)"
    r"|_(?P<pad>.)"
    r"|\*(?P<fill>.)"
    r"|\[(?P<bracket>[^\]]*)\]"
    r"|(?P<ampm>am/pm|a/p)"
    r"|(?P<date>y+|m+|d+|h+|s+)"
    r"|(?P<other>.)",
    re.IGNORECASE | re.DOTALL,
)
_ELAPSED = re.compile(r"^(h+|m+|s+)$", re.IGNORECASE)
_CONDITION = re.compile(r"^(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Token:
    """One piece of a section: ``kind`` is lit, date, ampm, elapsed or num; ``text`` its text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Section:
    """One ``;``-separated part of a pattern."""

    tokens: tuple[Token, ...]
    is_date: bool
    condition: tuple[str, float] | None
    has_text: bool


def _split_sections(pattern: str) -> list[str]:
    """Split on ``;`` outside quotes and escapes."""
    sections, current, quoted, escaped = [], "", False, False
    for ch in pattern:
        if escaped:
            current, escaped = current + ch, False
            continue
        if ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            sections.append(current)
            current = ""
            continue
        current += ch
    sections.append(current)
    return sections


def _token(match: re.Match[str]) -> Token | tuple[str, float] | None:
    """One regex match as a Token, a condition, or None (colours, fills: nothing to print)."""
    kind = match.lastgroup or "other"
    text = match.group(kind)
    if kind in ("quoted", "escaped"):
        return Token("lit", text)
    if kind == "pad":
        return Token("lit", " ")
    if kind == "fill":
        return None
    if kind == "bracket":
        if _ELAPSED.match(text.rstrip("+")):
            return Token("elapsed", text.rstrip("+").lower())
        if text.startswith("$"):
            return Token("lit", text[1:].split("-")[0])  # [$₹-4009]: a currency symbol with its locale
        cond = _CONDITION.match(text.strip())
        return (cond.group(1), float(cond.group(2))) if cond else None  # [Red], [Color7]: colours
    if kind == "ampm":
        return Token("ampm", text)
    if kind == "date":
        return Token("date", text.lower())
    return Token("num", text)


@lru_cache(maxsize=512)
def compile_section(text: str) -> Section:
    """Tokenize one section (cached: a 100k-row read renders the same few patterns over and over)."""
    tokens: list[Token] = []
    condition = None
    for match in _TOKEN.finditer(text):
        item = _token(match)
        if isinstance(item, tuple):
            condition = item
        elif item is not None:
            tokens.append(item)
    is_date = any(t.kind in ("date", "ampm", "elapsed") for t in tokens)
    if not is_date:
        # Outside a date pattern, letters are literals ("d" in "0.0 d" is a literal).
        tokens = [Token("lit", t.text) if t.kind == "date" else t for t in tokens]
    has_text = any(t.kind == "num" and t.text == "@" for t in tokens)
    return Section(tuple(tokens), is_date, condition, has_text)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Section, ...]:
    """All sections of a pattern."""
    return tuple(compile_section(s) for s in _split_sections(pattern))


# --- choosing the section ------------------------------------------------------------------------------


def _holds(condition: tuple[str, float], value: float) -> bool:
    op, limit = condition
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit,
            "=": value == limit, "<>": value != limit}[op]


def _pick(sections: tuple[Section, ...], value: float) -> tuple[Section, bool]:
    """The section for ``value`` and whether the minus sign is already implied by the section."""
    numeric = [s for s in sections if not (s.has_text and not any(t.kind == "num" and t.text != "@"
                                                                  for t in s.tokens))] or list(sections)
    if any(s.condition for s in numeric[:2]):
        for section in numeric[:2]:
            if section.condition and _holds(section.condition, value):
                return section, False
        return (numeric[2] if len(numeric) > 2 else numeric[-1]), False
    if value < 0 and len(numeric) >= 2:
        return numeric[1], True
    if value == 0 and len(numeric) >= 3:
        return numeric[2], False
    return numeric[0], False


# --- numbers -------------------------------------------------------------------------------------------


def _ldml(tokens: tuple[Token, ...]) -> tuple[str, int]:
    """Sheets tokens -> a Babel (LDML) pattern, and the power of 1,000 trailing commas divide by."""
    parts: list[str] = []
    for tok in tokens:
        if tok.kind == "lit":
            parts.append("'" + tok.text.replace("'", "''") + "'" if tok.text else "")
        elif tok.text in "0#,.%Ee+-":
            parts.append(tok.text.upper() if tok.text in "e" else tok.text)
        elif tok.text == "?":
            parts.append("#")
        elif tok.text != "@":
            parts.append("'" + tok.text.replace("'", "''") + "'")
    text = "".join(parts)
    core = re.search(r"[0#][0#,.]*", text)
    scale = 0
    if core:
        digits = core.group(0)
        stripped = digits.rstrip(",")
        scale = len(digits) - len(stripped)
        text = text[:core.start()] + stripped + text[core.end():]
    return text, scale


def _format_number(value: float, tokens: tuple[Token, ...]) -> str:
    pattern, scale = _ldml(tokens)
    if not re.search(r"[0#]", pattern):
        return pattern.replace("''", "\0").replace("'", "").replace("\0", "'")
    number = decimal.Decimal(repr(float(value))) / (1000 ** scale)
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP  # Sheets: 2.5 -> 3, 0.125 -> 0.13
        return format_decimal(number, format=pattern, locale="en_US")


# --- dates and times -----------------------------------------------------------------------------------


def from_serial(serial: float) -> dt.datetime:
    """A serial number (days since 1899-12-30) as a datetime, to the nearest millisecond."""
    moment = EPOCH + dt.timedelta(days=float(serial))
    return moment.replace(microsecond=0) + dt.timedelta(milliseconds=round(moment.microsecond / 1000))


def _minute_positions(tokens: tuple[Token, ...]) -> set[int]:
    """Indexes of ``m``/``mm`` tokens meaning minutes: right after an hour or right before seconds."""
    dates = [(i, t) for i, t in enumerate(tokens) if t.kind in ("date", "elapsed")]
    minutes = set()
    for n, (i, tok) in enumerate(dates):
        if tok.kind != "date" or tok.text not in ("m", "mm"):
            continue
        before = dates[n - 1][1].text[0] if n else ""
        after = dates[n + 1][1].text[0] if n + 1 < len(dates) else ""
        if before == "h" or after == "s":
            minutes.add(i)
    return minutes


def _date_part(text: str, moment: dt.datetime, twelve: bool, is_minute: bool) -> str:
    kind, width = text[0], len(text)
    if kind == "y":
        return f"{moment.year % 100:02d}" if width <= 2 else f"{moment.year:04d}"
    if kind == "d":
        if width >= 3:
            name = DAYS[moment.weekday()]
            return name if width >= 4 else name[:3]
        return f"{moment.day:0{width}d}"
    if kind == "h":
        hour = (moment.hour % 12 or 12) if twelve else moment.hour
        return f"{hour:0{min(width, 2)}d}"
    if kind == "s":
        return f"{moment.second:0{min(width, 2)}d}"
    if is_minute:
        return f"{moment.minute:0{min(width, 2)}d}"
    if width >= 3:
        name = MONTHS[moment.month - 1]
        return {3: name[:3], 5: name[0]}.get(width, name)
    return f"{moment.month:0{width}d}"


def _elapsed(text: str, serial: float) -> str:
    seconds = round(serial * 86400)
    amount = {"h": seconds // 3600, "m": seconds // 60, "s": seconds}[text[0]]
    return f"{amount:0{len(text)}d}"


def _format_date(serial: float, tokens: tuple[Token, ...]) -> str:
    moment = from_serial(serial)
    twelve = any(t.kind == "ampm" for t in tokens)
    minutes = _minute_positions(tokens)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.kind == "date":
            out.append(_date_part(tok.text, moment, twelve, i in minutes))
        elif tok.kind == "elapsed":
            out.append(_elapsed(tok.text, serial))
        elif tok.kind == "ampm":
            pm = moment.hour >= 12
            out.append(("PM" if pm else "AM") if "/" in tok.text and len(tok.text) > 3 else ("P" if pm else "A"))
        elif tok.kind == "num" and tok.text in "0" and out and out[-1].isdigit():
            out.append(str(moment.microsecond // 100000))  # "ss.0": tenths of a second
        else:
            out.append(tok.text)
    return "".join(out)


# --- entry points --------------------------------------------------------------------------------------


def pattern_of(number_format: dict[str, Any]) -> str:
    """The pattern in force: the given one, else Google's default for the type."""
    return number_format.get("pattern") or DEFAULT_PATTERNS.get(number_format.get("type") or "", "")


def render_text(text: str, number_format: dict[str, Any]) -> str:
    """A text value under a format: only a text section (``@``, or the fourth section) changes it."""
    sections = compile_pattern(pattern_of(number_format))
    section = next((s for s in sections if s.has_text), None)
    if section is None:
        return text
    return "".join(text if (t.kind == "num" and t.text == "@") else t.text for t in section.tokens)


def render_number(value: float, number_format: dict[str, Any]) -> str | None:
    """``value`` as Google shows it under ``number_format``; None when the format leaves it automatic."""
    pattern = pattern_of(number_format)
    if not pattern or number_format.get("type") == "TEXT" and pattern == "@":
        return None
    section, implied_sign = _pick(compile_pattern(pattern), value)
    if implied_sign:
        value = abs(value)
    if section.is_date:
        if value < 0:
            return None  # Sheets cannot show a negative date: it shows the number
        return _format_date(value, section.tokens)
    return _format_number(value, section.tokens)


def is_date_format(number_format: dict[str, Any] | None) -> bool:
    """Whether a format shows numbers as dates or times."""
    if not number_format:
        return False
    if number_format.get("type") in DATE_TYPES:
        return True
    pattern = number_format.get("pattern") or ""
    return bool(pattern) and compile_pattern(pattern)[0].is_date


# Functions whose result Sheets shows as a date or time when the cell has no format of its own.
_RESULT_FORMATS = {
    "TODAY": {"type": "DATE", "pattern": "M/d/yyyy"},
    "DATE": {"type": "DATE", "pattern": "M/d/yyyy"},
    "DATEVALUE": {"type": "DATE", "pattern": "M/d/yyyy"},
    "EDATE": {"type": "DATE", "pattern": "M/d/yyyy"},
    "EOMONTH": {"type": "DATE", "pattern": "M/d/yyyy"},
    "WORKDAY": {"type": "DATE", "pattern": "M/d/yyyy"},
    "NOW": {"type": "DATE_TIME", "pattern": "M/d/yyyy H:mm:ss"},
    "TIME": {"type": "TIME", "pattern": "h:mm:ss am/pm"},
    "TIMEVALUE": {"type": "TIME", "pattern": "h:mm:ss am/pm"},
}
_OUTER_CALL = re.compile(r"^=\s*([A-Za-z.]+)\s*\(")


def result_format(formula: str) -> dict[str, Any] | None:
    """The format Sheets gives a formula's result by itself: ``=TODAY()`` or ``=DATE(2024,1,15)+7`` shows a
    date (the outermost function decides, as in Sheets' automatic format)."""
    match = _OUTER_CALL.match(formula)
    return _RESULT_FORMATS.get(match.group(1).upper()) if match else None


def cell_number_format(fmt: dict[str, Any] | None, formula: str | None) -> dict[str, Any] | None:
    """The number format in force for a cell: its own, else (for a formula) the one its result implies."""
    own = (fmt or {}).get("numberFormat")
    if own:
        return own
    return result_format(formula) if formula else None


def show(value: Any, number_format: dict[str, Any] | None) -> str | None:
    """A cell's value shown under its number format; None when Sheets' automatic rendering applies."""
    if not number_format or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return render_number(value, number_format)
    if isinstance(value, str):
        return render_text(value, number_format)
    return None
