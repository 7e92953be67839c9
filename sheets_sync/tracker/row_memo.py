"""Per-row results kept between cycles, reused while the row reads the same — so a job over a 100,000-row
Tracker costs what changed, not what is there.

A job whose answer for a row depends only on that row's cells (and on a small context, such as the allowed
department names) asks the memo first: when the row's raw values equal those it was last computed from (a list
comparison, done in C) and the context is the same, the stored answer is the answer. Rows a person or the tool
changed, and rows read for the first time in this process, are computed afresh. Kept in process memory only: a
new process computes everything once.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from typing import Any

__all__ = ["MISS", "RowMemo", "memo_for"]

MISS = object()


class RowMemo:
    """Key → (the row's raw values, the context, the answer)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[list[Any], Hashable, Any]] = {}

    def get(self, key: str, row: Sequence[Any], context: Hashable) -> Any:
        """The stored answer for ``key`` when computed from these very values and context; else ``MISS``."""
        entry = self._entries.get(key)
        if entry is None or entry[1] != context or entry[0] != row:
            return MISS
        if entry[0] is not row:
            # Equal values read afresh: hold the current row, so the previous read's rows can be freed.
            self._entries[key] = (row, entry[1], entry[2])
        return entry[2]

    def put(self, key: str, row: Sequence[Any], context: Hashable, answer: Any) -> Any:
        """Remember ``answer`` for ``key`` computed from ``row`` and ``context``; returns it. The row is held,
        not copied: a table's rows are never changed in place (``tracker.known`` copies a row it writes to)."""
        self._entries[key] = (row, context, answer)
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
