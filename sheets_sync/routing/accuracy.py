"""Measure the classifier against a labelled set of comments.

    python -m sheets_sync.routing.accuracy tests/data/labelled_comments.jsonl
    python -m sheets_sync.routing.accuracy --from-sheet [--config PATH]

The second reports the rules alone, the learned router alone and the two combined, by 5-fold
cross-validation on the sheet's own examples (rows people re-routed or their department answered), for the
department and for the category (rows whose Category a person changed — the Audit says what the tool had
set — or their department answered).

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

from .classify import Classifier, classify
from .learned import CombinedRouter, Example, train
from .learned_category import CategoryExample
from .rules import Rule, load_default_rules

__all__ = ["Report", "cross_validate", "measure", "main"]


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


def cross_validate(examples: Sequence[Example], rules: Sequence[Rule], folds: int = 5, *,
                   category_examples: Sequence[CategoryExample] = ()) -> dict[str, float]:
    """Department accuracy of the rules alone, the model alone and the two combined on ``examples`` (the
    sheet's own), each example predicted by a model trained on the other folds (fixed folds: repeatable); with
    ``category_examples``, the same for the category (``category rules``, ``category model``, ...)."""
    classifier = Classifier(rules)
    right: Counter[str] = Counter()
    for fold in range(folds):
        model = train([e for i, e in enumerate(examples) if i % folds != fold], rules,
                      category_examples=[e for i, e in enumerate(category_examples) if i % folds != fold])
        router = CombinedRouter(classifier, model)
        test = examples[fold::folds]
        predicted = model.predict([e.text for e in test]) if model else [("", 0.0)] * len(test)
        for example, (department, _) in zip(test, predicted, strict=True):
            right["rules"] += classifier.classify(example.text).department == example.department
            right["model"] += department == example.department
            right["combined"] += router.classify(example.text).department == example.department
        right.update(_category_fold(category_examples[fold::folds], classifier, router))
    figures = {name: right[name] / len(examples) if examples else 0.0 for name in ("rules", "model", "combined")}
    if category_examples:
        figures.update({f"category {name}": right[f"category {name}"] / len(category_examples)
                        for name in ("rules", "model", "combined")})
    return figures


def _category_fold(test: Sequence[CategoryExample], classifier: Classifier, router: CombinedRouter) -> Counter[str]:
    """One fold's right category answers: the rules alone, the category model alone, the two combined."""
    right: Counter[str] = Counter()
    model = router.model
    predicted = model.predict_category([e.text for e in test]) if model else []
    predicted = predicted or [("", 0.0)] * len(test)
    for example, (category, _) in zip(test, predicted, strict=True):
        right["category rules"] += classifier.category_of(example.text) == example.category
        right["category model"] += category == example.category
        right["category combined"] += router.classify(example.text).category == example.category
    return right


def _sheet_examples(config_path: str | None) -> tuple[list[Example], list[CategoryExample], list[Rule]]:
    """The examples (department, category) and rules of the configured sheet (``--from-sheet``), read whole
    once: the Audit says what the tool had set."""
    from ..client import connect
    from ..config import load_config
    from ..tracker.store import TrackerStore
    from .learned import examples_from_table, tool_departments_from_audit
    from .learned_category import category_examples_from_table, tool_categories_from_audit
    from .sheet import sheet_rules

    config = load_config(config_path)
    tables = TrackerStore(connect(config), tz=config.tz).read(["Routing", "Departments", "Tracker", "Archive",
                                                               "Audit"]).tables
    rules, _ = sheet_rules(tables, [])
    audit = tables.get("Audit")
    audit_rows = audit.records() if audit is not None else []
    tool_set = tool_departments_from_audit(audit_rows)
    tool_categories = tool_categories_from_audit(audit_rows)
    sheets = [table for title in ("Tracker", "Archive") if (table := tables.get(title)) is not None]
    return ([e for table in sheets for e in examples_from_table(table, rules, tool_departments=tool_set)],
            [e for table in sheets for e in category_examples_from_table(table, tool_categories)], rules)


def _figures(figures: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.1%}" for name, value in figures.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: print the summary for a JSONL file (``-v`` also lists every miss)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--from-sheet" in args:
        config_path = args[args.index("--config") + 1] if "--config" in args else None
        examples, categories, rules = _sheet_examples(config_path)
        figures = cross_validate(examples, rules, category_examples=categories)
        print(f"{len(examples)} examples ({len(categories)} for the category) in the sheet, 5-fold "
              f"cross-validation: {_figures(figures)}")
        return 0
    verbose = "-v" in args
    paths = [a for a in args if a != "-v"]
    if len(paths) != 1:
        print("usage: python -m sheets_sync.routing.accuracy [-v] LABELLED.jsonl | --from-sheet [--config PATH]",
              file=sys.stderr)
        return 2
    with open(paths[0], encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    report = measure(records, load_default_rules())
    print(report.summary())
    # The labelled comments as if they were the sheet's examples: what the learned router adds to the rules.
    labelled = [Example(r["text"], r["department"], "answered") for r in records]
    categories = [CategoryExample(r["text"], r["category"], "answered") for r in records]
    figures = cross_validate(labelled, load_default_rules(), category_examples=categories)
    print(f"\nlearned router, 5-fold cross-validation on these comments: {_figures(figures)}")
    if verbose:
        print()
        for name, want, got, text in report.misses:
            print(f"  {name:10} want {want!r:32} got {got!r:32} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
