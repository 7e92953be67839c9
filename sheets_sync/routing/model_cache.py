"""The learned router kept in process memory between cycles, so a cycle does not pay for training.

Training costs about 1 s for 300 examples and 3 s for a few thousand (plus ~1.5 s to import scikit-learn, in a
child process: :mod:`.train_worker`); a busy cycle must stay near 1 s of CPU (issue 16). So a runner trains once
and reuses the model while the examples it was trained on still describe the sheet.

Even the scan for examples (department and category, by whole columns: ~0.1-0.8 s for 100,000 rows) is not paid
every cycle (:meth:`ModelCache.current`): the rows are scanned only when a training could follow — no model yet,
``sheets-sync job route``, the Routing keywords changed, the Tracker's row count moved by more than
:data:`GROWTH` since the last scan, or ``routing.retrain_hours`` passed since it. Examples that change without the
row count moving (rows answered or re-routed in place) are therefore seen by the daily scan. A scan's examples are
reduced to a fingerprint; the model is trained again when

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
from .learned_category import CategoryExample
from .learned_report import RecentAccuracy, recent_accuracy
from .rules import Rule

__all__ = ["DEFAULT_RETRAIN_HOURS", "GROWTH", "ModelCache", "TrainedModel", "cache_for", "fingerprint"]

log = logging.getLogger("sheets_sync.routing")

DEFAULT_RETRAIN_HOURS = 24.0
GROWTH = 0.10


def fingerprint(items: Sequence[Example] | Sequence[CategoryExample]) -> int:
    """A value that changes when any example's text or label does (in-process only: ``hash`` is salted
    per process, and the cache lives in one process)."""
    return hash(tuple((e.text, e.department if isinstance(e, Example) else e.category) for e in items))


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


@dataclass(frozen=True)
class _Scanned:
    """When the sheet's rows were last scanned for examples, and how many rows there were."""

    rows: int
    at: datetime


class ModelCache:
    """The last training, and the policy for the next (see the module's docstring)."""

    def __init__(self, trainer: Callable[..., LearnedRouter | None] = train) -> None:
        self._trainer = trainer
        self.entry: TrainedModel | None = None
        self.trainings = 0
        self.scans = 0
        self._scanned: _Scanned | None = None

    def current(self, scan: Callable[[], tuple[Sequence[Example], Sequence[CategoryExample]]], rows: int,
                rules: Sequence[Rule], classifier: Classifier, *, now: datetime,
                retrain_hours: float = DEFAULT_RETRAIN_HOURS, force: bool = False,
                model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> TrainedModel:
        """The model for a sheet of ``rows`` rows: :meth:`model` on what ``scan()`` finds — called only when a
        training could follow (see the module's docstring); else the cached model, without a scan."""
        last, entry = self._scanned, self.entry
        if (entry is not None and last is not None and not force
                and fingerprint(keyword_examples(rules)) == entry.keywords
                and abs(rows - last.rows) <= GROWTH * last.rows
                and now - last.at < timedelta(hours=retrain_hours)):
            return entry
        examples, categories = scan()
        self.scans += 1
        self._scanned = _Scanned(rows, now)
        return self.model(examples, rules, classifier, category_examples=categories, now=now,
                          retrain_hours=retrain_hours, force=force, model_threshold=model_threshold)

    def model(self, examples: Sequence[Example], rules: Sequence[Rule], classifier: Classifier, *,
              category_examples: Sequence[CategoryExample] = (), now: datetime,
              retrain_hours: float = DEFAULT_RETRAIN_HOURS, force: bool = False,
              model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> TrainedModel:
        """The model for these examples: the cached one, or a new training when the policy says so."""
        found = hash((fingerprint(examples), fingerprint(category_examples)))
        keywords = fingerprint(keyword_examples(rules))
        reason = self._why_train(len(examples), found, keywords, now, retrain_hours, force)
        if reason is None:
            assert self.entry is not None
            return self.entry
        model = self._trainer(examples, rules, category_examples=category_examples)
        # The Dashboard's figure needs a second training (without the recent rows): paid here, once per training.
        figures = recent_accuracy(examples, rules, classifier, now, model_threshold,
                                  category_examples=category_examples)
        self.entry = TrainedModel(model, len(examples), found, keywords, now, figures, reason)
        self.trainings += 1
        log.info("route: learned router trained on %d examples, %d category examples (%s)", len(examples),
                 len(category_examples), reason)
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
