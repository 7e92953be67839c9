"""Measure the classifier against a labelled set of comments.

    python -m sheets_sync.routing.accuracy tests/data/labelled_comments.jsonl

Each line is ``{"text", "department", "category", "language"}`` with an optional
``"post_department"``.  Prints overall accuracy per field and, per department, how many
were right and where the others went.  :func:`measure` is pure; only :func:`main` reads.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .classify import classify
from .rules import Rule, load_default_rules

__all__ = ["Report", "measure", "main"]


@dataclass
class Report:
    """Counts of right answers per field, and a department confusion table."""

    total: int = 0
    correct: Counter[str] = field(default_factory=Counter)
    confusion: dict[str, Counter[str]] = field(default_factory=dict)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        """Share of records whose ``name`` (department, category, language) was right."""
        return self.correct[name] / self.total if self.total else 0.0

    def summary(self) -> str:
        """A human-readable summary: overall figures, then one line per department."""
        lines = [
            f"{self.total} labelled comments: department {self.accuracy('department'):.1%}, "
            f"category {self.accuracy('category'):.1%}, language {self.accuracy('language'):.1%}",
            "",
            "department (right / labelled): where the others went",
        ]
        for department in sorted(self.confusion):
            row = self.confusion[department]
            total = sum(row.values())
            wrong = ", ".join(f"{other} {n}" for other, n in row.most_common() if other != department)
            lines.append(f"  {department:30} {row[department]:3} / {total:3}  {wrong}")
        return "\n".join(lines)


def measure(records: Iterable[Mapping[str, str]], rules: Sequence[Rule]) -> Report:
    """Classify each labelled record and count agreement with its labels."""
    report = Report()
    for record in records:
        route = classify(record["text"], rules, post_department=record.get("post_department"))
        report.total += 1
        for name, got in (
            ("department", route.department),
            ("category", route.category),
            ("language", route.language),
        ):
            if got == record[name]:
                report.correct[name] += 1
            else:
                report.misses.append((name, record[name], got, record["text"]))
        report.confusion.setdefault(record["department"], Counter())[route.department] += 1
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: print the summary for a JSONL file (``-v`` also lists every miss)."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args
    paths = [a for a in args if a != "-v"]
    if len(paths) != 1:
        print("usage: python -m sheets_sync.routing.accuracy [-v] LABELLED.jsonl", file=sys.stderr)
        return 2
    with open(paths[0], encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    report = measure(records, load_default_rules())
    print(report.summary())
    if verbose:
        print()
        for name, want, got, text in report.misses:
            print(f"  {name:10} want {want!r:32} got {got!r:32} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
