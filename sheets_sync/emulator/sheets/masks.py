"""Field masks: ``fields=sheets.properties(title,index)`` on reads and ``"fields": "hidden"`` on updates.

Google's masks are comma-separated paths; ``a(b,c)`` groups sub-paths, ``/`` and ``.`` both separate
levels, and ``*`` means everything.
"""

from __future__ import annotations

import copy
from typing import Any


def parse_fields(text: str) -> list[list[str]]:
    """``"a.b(c,d/e),f"`` -> ``[["a","b","c"], ["a","b","d","e"], ["f"]]``."""
    paths: list[list[str]] = []

    def parse(pos: int, prefix: list[str]) -> int:
        current: list[str] = []
        token = ""
        while pos < len(text):
            ch = text[pos]
            if ch in "./":
                current.append(token.strip())
                token = ""
            elif ch == "(":
                current.append(token.strip())
                token = ""
                pos = parse(pos + 1, prefix + current)
                current = []
                if pos < len(text) and text[pos] == ",":
                    pos += 1
                    continue
                if pos >= len(text) or text[pos] == ")":
                    return pos + 1 if pos < len(text) else pos
                continue
            elif ch == ",":
                if token.strip() or current:
                    paths.append(prefix + current + [token.strip()])
                current, token = [], ""
            elif ch == ")":
                if token.strip() or current:
                    paths.append(prefix + current + [token.strip()])
                return pos + 1
            else:
                token += ch
            pos += 1
        if token.strip() or current:
            paths.append(prefix + current + [token.strip()])
        return pos

    parse(0, [])
    return [[p for p in path if p] for path in paths if any(path)]


def select(data: Any, paths: list[list[str]]) -> Any:
    """Keep only the masked paths of ``data`` (lists are mapped element-wise, as in Google's masks)."""
    if not paths or any(not p or p == ["*"] for p in paths):
        return data
    if isinstance(data, list):
        return [select(item, paths) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    grouped: dict[str, list[list[str]]] = {}
    for path in paths:
        grouped.setdefault(path[0], []).append(path[1:])
    for key, rest in grouped.items():
        if key == "*":
            return data
        if key in data:
            out[key] = select(data[key], rest) if all(rest) else data[key]
    return out


def apply_update(target: dict[str, Any], source: dict[str, Any], fields: str) -> None:
    """Copy the masked fields from ``source`` into ``target``; a masked field absent in source is cleared."""
    if fields.strip() == "*":
        keep = {k: v for k, v in target.items() if k not in source}
        target.clear()
        target.update(keep)
        target.update(copy.deepcopy(source))
        return
    for path in parse_fields(fields):
        if path == ["*"]:
            target.update(copy.deepcopy(source))
            continue
        src: Any = source
        for key in path:
            src = src.get(key) if isinstance(src, dict) else None
        dst = target
        for key in path[:-1]:
            if not isinstance(dst.get(key), dict):
                dst[key] = {}
            dst = dst[key]
        if src is None:
            dst.pop(path[-1], None)
        else:
            dst[path[-1]] = copy.deepcopy(src)
