"""The learned router kept in process memory between cycles, so a cycle does not pay for training.

Training costs about 1 s for 300 examples and 3 s for a few thousand (plus ~1.5 s to import scikit-learn, in a
child process: :mod:`.train_worker`); a busy cycle must stay near 1 s of CPU (issue 16). So a runner trains once and reuses the model while the examples it was trained on still describe the
sheet. The examples are read from the cycle's rows every cycle (a scan, ~0.1 s for 100,000 rows) and reduced to
a fingerprint; the model is trained again when

* there is none yet in this process (a fresh ``run``, or ``sheets-sync job route``: a new process trains);
* a person asked for it: ``sheets-sync job route`` (the job is in ``CycleContext.on_demand``) retrains now;
* the Routing tab's keywords changed (they are examples too);
* the examples grew or shrank by more than :data:`GROWTH` (10 %) since the last training;
* the examples changed at all and ``routing.retrain_hours`` (default 24) have passed since the last training.

Otherwise the cached model routes, even if a few examples were added since: a day's corrections teach a model of
hundreds little, and waiting costs nothing that the next training does not recover. Identical examples never
retrain (the result would be the same model: fixed ``random_state``). Nothing is written to disk: the sheet
stays the only store, and a restart trains afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .classify import Classifier
from .learned import DEFAULT_MODEL_THRESHOLD, Example, LearnedRouter, keyword_examples, train
from .learned_report import RecentAccuracy, recent_accuracy
from .rules import Rule

__all__ = ["DEFAULT_RETRAIN_HOURS", "GROWTH", "ModelCache", "TrainedModel", "cache_for", "fingerprint"]

log = logging.getLogger("sheets_sync.routing")

DEFAULT_RETRAIN_HOURS = 24.0
GROWTH = 0.10


def fingerprint(items: Sequence[Example]) -> int:
    """A value that changes when any example's text or department does (in-process only: ``hash`` is salted
    per process, and the cache lives in one process)."""
    return hash(tuple((e.text, e.department) for e in items))


@dataclass(frozen=True)
class TrainedModel:
    """One training: the model (None when the examples were too few) and what it was trained from."""

    model: LearnedRouter | None
    examples: int
    fingerprint: int
    keywords: int  # fingerprint of the rules' keyword examples
    trained_at: datetime
    figures: RecentAccuracy
    reason: str  # why this training happened: first, on demand, keywords, grew, due


class ModelCache:
    """The last training, and the policy for the next (see the module's docstring)."""

    def __init__(self, trainer: Callable[..., LearnedRouter | None] = train) -> None:
        self._trainer = trainer
        self.entry: TrainedModel | None = None
        self.trainings = 0

    def model(self, examples: Sequence[Example], rules: Sequence[Rule], classifier: Classifier, *,
              now: datetime, retrain_hours: float = DEFAULT_RETRAIN_HOURS, force: bool = False,
              model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> TrainedModel:
        """The model for these examples: the cached one, or a new training when the policy says so."""
        found = fingerprint(examples)
        keywords = fingerprint(keyword_examples(rules))
        reason = self._why_train(len(examples), found, keywords, now, retrain_hours, force)
        if reason is None:
            assert self.entry is not None
            return self.entry
        model = self._trainer(examples, rules)
        # The Dashboard's figure needs a second training (without the recent rows): paid here, once per training.
        figures = recent_accuracy(examples, rules, classifier, now, model_threshold)
        self.entry = TrainedModel(model, len(examples), found, keywords, now, figures, reason)
        self.trainings += 1
        log.info("route: learned router trained on %d examples (%s)", len(examples), reason)
        return self.entry

    def _why_train(self, count: int, found: int, keywords: int, now: datetime, retrain_hours: float,
                   force: bool) -> str | None:
        """Why to train now, or None to keep the cached model."""
        entry = self.entry
        if entry is None:
            return "first"
        if force:
            return "on demand"
        if keywords != entry.keywords:
            return "keywords"
        if found == entry.fingerprint:
            return None
        if abs(count - entry.examples) > GROWTH * entry.examples:
            return "grew"
        if now - entry.trained_at >= timedelta(hours=retrain_hours):
            return "due"
        return None


_CACHES: dict[str, ModelCache] = {}


def cache_for(sheet: str) -> ModelCache:
    """The process's cache for one sheet (a runner serves one; tests and the demo create many)."""
    return _CACHES.setdefault(sheet, ModelCache())
