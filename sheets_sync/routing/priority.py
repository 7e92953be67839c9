"""Urgent matters: which comments get Priority ``Urgent`` (a fallen tree, a live wire, fire, flooding...).

Urgent cues are Routing-tab rows with Priority ``Urgent`` (the defaults are in ``defaults/routing_rules.yaml``,
under ``urgent:``). They are matched exactly as department keywords are — inflected forms, small misspellings,
Marathi, Hindi, English and romanised spellings (:class:`~sheets_sync.routing.classify.Classifier`) — and their
weights add up the same way: a cue of weight 1 is enough alone, two of weight 0.5 together. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .classify import Classifier
from .rules import URGENT, Rule

__all__ = ["UrgentCues", "URGENT"]

# The pseudo-department urgent cues are scored under: the Classifier's scoring is reused as it is.
_SCORED_AS = "\x00urgent"


class UrgentCues:
    """The active urgent cues of a rule set, compiled once per cycle."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        cues = [replace(rule, department=_SCORED_AS, category=None) for rule in rules
                if rule.active and rule.priority == URGENT]
        self._classifier = Classifier(cues) if cues else None

    def __bool__(self) -> bool:
        return self._classifier is not None

    def match(self, text: str) -> str | None:
        """The cue that makes ``text`` urgent (as the rule writes it), or None when it is not urgent."""
        if self._classifier is None or not text.strip():
            return None
        route = self._classifier.classify(text)
        if route.department != _SCORED_AS:
            return None
        return route.assigned_by.removeprefix("keyword: ")
