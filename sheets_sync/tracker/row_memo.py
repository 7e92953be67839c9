"""Per-row results kept between cycles, reused while the row reads the same — so a job over a 100,000-row
Tracker costs what changed, not what is there.

A job whose answer for a row depends only on that row's cells (and on a small context, such as the allowed
department names) asks the memo first: when the row reads as it did when the answer was computed — its version
(``Table.row_version``, carried from table to table while the row's raw cells stay the same) is the one stored
— and the context is the same, the stored answer is the answer. Rows a person or the tool
changed, and rows read for the first time in this process, are computed afresh. Kept in process memory only: a
new process computes everything once.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Any

__all__ = ["MISS", "RowMemo", "memo_for"]

MISS = object()


class RowMemo:
    """Key → (the row's version, the context, the answer)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, Hashable, Any]] = {}

    def get(self, key: str, version: int, context: Hashable) -> Any:
        """The stored answer for ``key`` when computed from this version of the row and this context; else
        ``MISS``."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != version or entry[1] != context:
            return MISS
        return entry[2]

    def put(self, key: str, version: int, context: Hashable, answer: Any) -> Any:
        """Remember ``answer`` for ``key`` computed from this version of the row and ``context``; returns it."""
        self._entries[key] = (version, context, answer)
        return answer

    def keep_only(self, keys: Collection[str]) -> None:
        """Forget rows no longer there (archived, deleted), so the memo never outgrows the tab."""
        if len(self._entries) > len(keys):
            self._entries = {k: v for k, v in self._entries.items() if k in keys}


_MEMOS: dict[tuple[str, str], RowMemo] = {}


def memo_for(job: str, spreadsheet_id: str, keys: Collection[str]) -> RowMemo:
    """The process's memo of one job for one spreadsheet, holding no more rows than ``keys`` (the tab's keys
    now): rows archived or deleted since are forgotten."""
    memo = _MEMOS.setdefault((job, spreadsheet_id), RowMemo())
    memo.keep_only(keys)
    return memo
