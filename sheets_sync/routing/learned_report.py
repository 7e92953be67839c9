"""How the learned router is doing, as the Dashboard shows it: accuracy over the last 30 days of corrections.

The recent examples (rows a person re-routed or a department answered, *Received At* in the last 30 days) are
routed by the rules plus a model trained **without them** — on the older examples only — and compared with the
department people confirmed. Not "what it predicted at the time": the sheet does not keep the model's guess for
rows the rules routed, and a model scored on rows it was trained on would flatter itself. This is what the
router would have done with those comments had they arrived today, unseen: an honest figure that needs no
record of past predictions. It costs a second training, paid only when the model is retrained (daily). The
category figure is the same, over the recent category examples (rows whose Category a person changed or whose
department answered), once there is a category model.

Pure: no I/O. The figure travels between processes as one ``_state`` value (:meth:`RecentAccuracy.to_state`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from .classify import Classifier
from .learned import CombinedRouter, Example, train
from .learned_category import CategoryExample
from .rules import Rule

__all__ = ["RECENT_DAYS", "STATE_KEY", "RecentAccuracy", "dashboard_lines", "figures_from_state", "recent_accuracy"]

RECENT_DAYS = 30
STATE_KEY = "learned_router"
MAX_SCORED = 500
_E = TypeVar("_E", Example, CategoryExample)


@dataclass(frozen=True)
class RecentAccuracy:
    """The learned router's figures: how many examples it has, and how it routed the recent ones."""

    examples: int
    recent: int  # examples received in the last RECENT_DAYS days that were scored (the latest MAX_SCORED)
    combined: float | None  # rules + a model trained without the recent examples; None: no recent examples
    rules: float | None  # the rules alone on the same rows
    trained_at: str  # ISO time of the training
    # The same for categories (defaults: figures an older version kept in _state read back as none).
    category_examples: int = 0
    category_recent: int = 0
    category_combined: float | None = None
    category_rules: float | None = None

    def to_state(self) -> str:
        """One ``_state`` value (JSON)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_state(cls, text: str | None) -> RecentAccuracy | None:
        """The figures from a ``_state`` value; None when absent or unreadable (an older tool, a person's edit)."""
        try:
            data = json.loads(text or "")
            return cls(**data)
        except (TypeError, ValueError):
            return None


def recent_accuracy(examples: Sequence[Example], rules: Sequence[Rule], classifier: Classifier, now: datetime,
                    model_threshold: float, *, category_examples: Sequence[CategoryExample] = (),
                    days: int = RECENT_DAYS) -> RecentAccuracy:
    """Route the last ``days`` days' examples (department and category) with the rules and a model trained on
    the older examples only."""
    since = now - timedelta(days=days)
    scored, older = _recent(examples, since)
    scored_categories, older_categories = _recent(category_examples, since)
    combined = rules_alone = category_combined = category_rules = None
    if scored or scored_categories:
        router = CombinedRouter(classifier, train(older, rules, category_examples=older_categories),
                                model_threshold)
        if scored:
            combined = _share(scored, lambda e: router.classify(e.text).department == e.department)
            rules_alone = _share(scored, lambda e: classifier.classify(e.text).department == e.department)
        if scored_categories:
            category_combined = _share(scored_categories, lambda e: router.classify(e.text).category == e.category)
            category_rules = _share(scored_categories, lambda e: classifier.category_of(e.text) == e.category)
    return RecentAccuracy(len(examples), len(scored), combined, rules_alone, now.isoformat(),
                          len(category_examples), len(scored_categories), category_combined, category_rules)


def _recent(examples: Sequence[_E], since: datetime) -> tuple[list[_E], list[_E]]:
    """(the latest MAX_SCORED examples received since ``since``, the examples received before it)."""
    recent = [e for e in examples if e.received_at is not None and e.received_at >= since]
    older = [e for e in examples if e.received_at is None or e.received_at < since]
    # A busy month holds thousands: the latest MAX_SCORED say as much, at a fraction of the cost.
    return sorted(recent, key=lambda e: e.received_at or since, reverse=True)[:MAX_SCORED], older


def _share(items: Sequence[_E], right: Callable[[_E], bool]) -> float:
    return sum(map(right, items)) / len(items)


def dashboard_lines(figures: RecentAccuracy | None) -> list[list[str | int]]:
    """The Dashboard's lines for the learned router (label, value); none before the first training."""
    if figures is None:
        return []
    if figures.combined is None or figures.rules is None:
        recent = f"no corrections in the last {RECENT_DAYS} days"
    else:
        recent = (f"{figures.combined:.0%} of {figures.recent} corrections in the last {RECENT_DAYS} days "
                  f"(rules alone {figures.rules:.0%})")
    lines: list[list[str | int]] = [["Learned router", recent], ["Learned router examples", figures.examples]]
    if figures.category_combined is not None and figures.category_rules is not None:
        lines.append(["Learned router, category",
                         f"{figures.category_combined:.0%} of {figures.category_recent} rows in the last "
                         f"{RECENT_DAYS} days (rules alone {figures.category_rules:.0%}; "
                         f"{figures.category_examples} category examples)"])
    return lines


def figures_from_state(pending: Mapping[str, str], read: Mapping[str, str]) -> RecentAccuracy | None:
    """The figures as this cycle leaves ``_state``: written this cycle (``pending``) else as read."""
    return RecentAccuracy.from_state(pending.get(STATE_KEY) or read.get(STATE_KEY))
