"""Routing that learns from the sheet: a character n-gram model trained on the rows people confirmed.

Examples come from the Tracker (and, where read, the Archive) as the sheet holds them — no model file:

* a row *answered by its department* (Status Replied or Closed, *Replied By* a person's name, not
  ``on platform``): the department that answered confirms it was theirs;
* a row *a person re-routed*: its Department differs from the one the tool set. The Audit tab says what the
  tool set (``Job route, Column Department, New``) when it was read; otherwise the tool's choice is read back
  from *Assigned By*: ``triage`` → the Social Media Cell, ``keyword: kw`` → the one department whose rule
  that keyword is, ``post owner`` → the post's department in the Posts tab. A row the model routed
  (``learned 0.93``) counts only once its department answers it.

The model: TF-IDF of character 2–4-grams within words (``char_wb``: Devanagari and romanised spellings
share no words but many character runs) into a linear SVM whose scores are calibrated into probabilities
(sigmoid, 3 folds), fitted by scikit-learn **in a child process** (:mod:`.train_worker`) and applied here with
numpy alone (:mod:`.plain_model`): scikit-learn's ~125 MB never enter the service. Fixed ``random_state``: the
same rows give the same routes.

How it combines with the rules (:class:`CombinedRouter`): a strong keyword match decides (explainable,
``keyword: …``); where the rules are weak (a single generic word, or two departments nearly tied) the rules'
scores and the model's probabilities vote (:func:`vote`, :data:`RULES_WEIGHT`); where the rules are silent the
model decides when its probability reaches ``routing.model_threshold``. A department other than the rules' is
written ``learned 0.93``; otherwise the rules' route stands (keyword, post owner, triage). Fewer than
:data:`MIN_EXAMPLES` examples: no model, routing exactly as the rules alone.

The category likewise (:mod:`.learned_category` finds the rows whose Category people changed): a category cue
decides; where none matched, a category model at least :data:`CATEGORY_THRESHOLD` sure replaces the rules'
default, and Assigned By says so (``keyword: garden; category: Suggestion learned 0.92``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..tracker.cells import as_text
from ..tracker.table import Table
from ..vocabulary import is_finished
from .classify import TRIAGE_DEPARTMENT, Classifier, Route
from .learned_category import (
    CATEGORY_MARK,
    CategoryExample,
    category_examples_from_table,
    category_keyword_examples,
    route_writes_from_audit,
    scan_rows,
    scan_table,
    tool_categories_from_audit,
)
from .normalize import fold_phrase
from .rules import Rule
from .train_worker import train_in_child, train_tasks_in_child

if TYPE_CHECKING:
    from .plain_model import PlainModel

__all__ = [
    "CATEGORY_THRESHOLD",
    "DEFAULT_MODEL_THRESHOLD",
    "MAX_EXAMPLES",
    "MIN_EXAMPLES",
    "RULES_WEIGHT",
    "CombinedRouter",
    "Example",
    "LearnedRouter",
    "examples_from_rows",
    "examples_from_table",
    "keyword_examples",
    "router_from_sheet",
    "router_from_whole_sheet",
    "sheet_category_examples",
    "sheet_examples",
    "tool_departments_from_audit",
    "train",
    "vote",
]

log = logging.getLogger("sheets_sync.routing")

# Below this many examples a model mostly memorises; the rules alone route better (bench_learning.py).
MIN_EXAMPLES = 30
MIN_PER_DEPARTMENT = 3
# Above this many examples only the most telling are trained on (_most_telling): 5,000 train in ~3 s.
MAX_EXAMPLES = 5000
DEFAULT_MODEL_THRESHOLD = 0.4  # the best of 0.3-0.5 in bench_learning.py, and never below the rules there
# A keyword route is "strong" when its department scores at least this (one specific word of weight 2,
# or two generic ones) and leads the next department by at least STRONG_MARGIN: then the rules decide.
STRONG_SCORE = 2.0
STRONG_MARGIN = 1.0
# Where the rules are weak, their scores and the model's probabilities vote: label = argmax((1 − w)·p + w·s/S), s
# a label's rule score and S the scores' sum (at least STRONG_SCORE). 0.35: weights 0.2-0.5 cross-validate within
# 0.2 points of each other on the fed rows (under one comment a split); README: "How the 95 % was reached".
RULES_WEIGHT = 0.35
# The category model replaces the rules' default category (no cue matched) only from this probability on (or
# routing.model_threshold when higher): of 0.4/0.6/0.8, 0.6 cross-validated best with 50 and 253 fed rows; at 0.4
# it fell below the rules with 50 (bench_learning.py).
CATEGORY_THRESHOLD = 0.6
ON_PLATFORM = "on platform"
_E = TypeVar("_E", "Example", CategoryExample)


@dataclass(frozen=True)
class Example:
    """One comment and the department a person confirmed for it."""

    text: str
    department: str
    source: str  # "answered" or "corrected"
    received_at: datetime | None = None


class LearnedRouter:
    """The trained models: department (and, once people have corrected categories, category) probabilities."""

    def __init__(self, model: PlainModel, examples: int, category_model: PlainModel | None = None,
                 category_examples: int = 0) -> None:
        self._model = model
        self.examples = examples
        self.departments: tuple[str, ...] = tuple(model.classes_)
        self.category_model = category_model
        self.category_examples = category_examples if category_model is not None else 0

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(most probable department, its probability) for each text."""
        return _best(self._model, texts)

    def probabilities(self, text: str) -> dict[str, float]:
        """Every department's probability for one text."""
        return dict(zip(self.departments, (float(p) for p in self._model.predict_proba([text])[0]), strict=True))

    def predict_category(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(most probable category, its probability) for each text; [] without a category model."""
        return _best(self.category_model, texts) if self.category_model is not None else []

    def category_probabilities(self, text: str) -> dict[str, float]:
        """Every category's probability for one text ({} without a category model)."""
        model = self.category_model
        if model is None:
            return {}
        return dict(zip(model.classes_, (float(p) for p in model.predict_proba([text])[0]), strict=True))


def _best(model: PlainModel, texts: Sequence[str]) -> list[tuple[str, float]]:
    if not texts:
        return []
    probabilities = model.predict_proba(list(texts))
    return [(model.classes_[int(row.argmax())], float(row.max())) for row in probabilities]


def keyword_examples(rules: Sequence[Rule]) -> list[Example]:
    """Each active department rule's keyword (weight 1 or more) as a one-phrase example of its department.

    A few hundred sentences cannot teach the vocabulary of nineteen departments in four scripts; the Routing
    tab already holds it. With these the model alone goes from ~54 % to ~85 % on unseen comments
    (bench_learning.py), and the sheet's sentences teach it the context the keywords lack."""
    return [Example(rule.keyword, rule.department.strip(), "keyword") for rule in rules
            if rule.active and rule.department.strip() and rule.weight >= 1]


def train(examples: Sequence[Example], rules: Sequence[Rule] = (), *,
          category_examples: Sequence[CategoryExample] = (), random_state: int = 0) -> LearnedRouter | None:
    """A model from the sheet's ``examples`` plus the ``rules``' keywords; None when the sheet's examples are
    too few (fewer than :data:`MIN_EXAMPLES`): then routing is the rules' alone, exactly. With enough
    ``category_examples`` (and the rules' category cues) a category model too, trained in the same child."""
    if len(examples) < MIN_EXAMPLES:
        return None
    departments = _usable([(e.text, e.department) for e in [*_most_telling(examples), *keyword_examples(rules)]])
    if departments is None:
        return None
    categories = None
    if len(category_examples) >= MIN_EXAMPLES:
        categories = _usable([(e.text, e.category) for e in
                              [*_most_telling(category_examples), *category_keyword_examples(rules)]])
    # scikit-learn runs in a child process and sends back plain parameters; a failed or timed-out training is
    # logged there and routing stays the rules' alone, as with too few examples.
    if categories is None:
        fitted = train_in_child(*departments, random_state=random_state)
        return _router(fitted, len(examples)) if fitted is not None else None
    fitted = train_tasks_in_child({"department": departments, "category": categories}, random_state=random_state)
    return _router(fitted, len(examples), len(category_examples)) if fitted is not None else None


def _usable(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]] | None:
    """(texts, labels) of the labels with at least :data:`MIN_PER_DEPARTMENT` examples — calibration splits
    each label's examples in 3 folds: fewer cannot be learned; None when fewer than 2 labels remain."""
    counts: dict[str, int] = {}
    for _, label in pairs:
        counts[label] = counts.get(label, 0) + 1
    usable = [(text, label) for text, label in pairs if counts[label] >= MIN_PER_DEPARTMENT]
    if len({label for _, label in usable}) < 2:
        return None
    return [text for text, _ in usable], [label for _, label in usable]


def _router(fitted: bytes, examples: int, category_examples: int = 0) -> LearnedRouter | None:
    """The router applying the child's parameters; None, logged, when they cannot be read."""
    from .plain_model import PlainModel  # numpy (~11 MB) only once there is a model to apply

    try:
        if not category_examples:
            return LearnedRouter(PlainModel.from_bytes(fitted), examples)
        return LearnedRouter(PlainModel.from_bytes(fitted, "department."), examples,
                             PlainModel.from_bytes(fitted, "category."), category_examples)
    except ValueError as error:  # unreadable output: a worker of another version
        log.warning("route: the learned router's training gave unreadable parameters (%s); routing by the rules "
                    "alone", error)
        return None


def _most_telling(examples: Sequence[_E]) -> Sequence[_E]:
    """At most :data:`MAX_EXAMPLES`: every correction first (the scarce signal), then the latest answered rows.
    A busy sheet's tens of thousands of answered rows would cost minutes to train and add little."""
    if len(examples) <= MAX_EXAMPLES:
        return examples
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(examples, key=lambda e: (e.source != "corrected",
                                             -(e.received_at or oldest).timestamp()))
    return ranked[:MAX_EXAMPLES]


class CombinedRouter:
    """The rules and (when there is one) the learned model: ``classify`` as :meth:`Classifier.classify`."""

    def __init__(self, classifier: Classifier, model: LearnedRouter | None,
                 model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> None:
        self.classifier = classifier
        self.model = model
        self.model_threshold = model_threshold

    def classify(self, text: str, *, post_department: str | None = None, department: str | None = None,
                 category: str | None = None) -> Route:
        """Route one comment: a strong keyword match decides; where the rules are weak, their scores and the
        model's probabilities vote; where they are silent, the model when confident; else the rules' route.
        The category likewise, from the category cues and the category model (when people corrected some)."""
        route = self.classifier.classify(text, post_department=post_department, department=department,
                                         category=category)
        if self.model is None:
            return route
        if route.assigned_by != "given":
            route = self._department(text, route)
        if not (category and category.strip()) and self.model.category_model is not None:
            route = self._category(text, route)
        return route

    def _department(self, text: str, route: Route) -> Route:
        assert self.model is not None
        scores = self.classifier.department_scores(text)
        if route.assigned_by.startswith("keyword:") and _strong(scores):
            return route
        voted = vote(self.model.probabilities(text), scores, self.model_threshold)
        if voted is None or voted[0] == route.department or not self.classifier._is_known(voted[0]):
            return route
        return Route(voted[0], route.category, route.language, f"learned {voted[1]:.2f}")

    def _category(self, text: str, route: Route) -> Route:
        assert self.model is not None
        # Any category cue decides (cue words are few and deliberate; a vote with them lost to the rules in
        # cross-validation); where none matched the category is a default, and a confident model replaces it.
        if any(score > 0 for score in self.classifier.category_scores(text).values()):
            return route
        voted = vote(self.model.category_probabilities(text), {},
                     max(self.model_threshold, CATEGORY_THRESHOLD))
        if voted is None or voted[0] == route.category:
            return route
        return Route(route.department, voted[0], route.language,
                     f"{route.assigned_by}{CATEGORY_MARK}{voted[0]} learned {voted[1]:.2f}")


def _strong(scores: Mapping[str, float]) -> bool:
    """Whether the rules are sure: the best score at least STRONG_SCORE and STRONG_MARGIN ahead of the next."""
    ranked = sorted(scores.values(), reverse=True) + [0.0, 0.0]
    return ranked[0] >= STRONG_SCORE and ranked[0] - ranked[1] >= STRONG_MARGIN


def vote(probabilities: Mapping[str, float], scores: Mapping[str, float],
         threshold: float) -> tuple[str, float] | None:
    """The label the model's ``probabilities`` and the rules' weak ``scores`` choose together, with the model's
    probability for it: argmax of (1 − :data:`RULES_WEIGHT`)·p + RULES_WEIGHT·s/S. Where the rules scored
    nothing the model alone must reach ``threshold``; None: no choice (the rules' route stands)."""
    if not probabilities:
        return None
    matched = {label: score for label, score in scores.items() if score > 0 and label in probabilities}
    total = max(sum(matched.values()), STRONG_SCORE)
    votes = {label: (1 - RULES_WEIGHT) * p + RULES_WEIGHT * matched.get(label, 0.0) / total
             for label, p in probabilities.items()}
    best = max(votes, key=votes.__getitem__)
    if not matched and probabilities[best] < threshold:
        return None
    return best, probabilities[best]


# --- examples from the sheet --------------------------------------------------------------------------------


def tool_departments_from_audit(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Ticket ID → the Department the tool last wrote, from the Audit tab's rows (Job, Ticket ID, Column,
    New); later rows win."""
    return route_writes_from_audit(rows, "Department")


class _ToolChoice:
    """What the tool set a row's Department to, read back from its Assigned By (when the Audit was not read)."""

    def __init__(self, rules: Sequence[Rule], post_owners: Mapping[str, str]) -> None:
        self._post_owners = post_owners
        by_keyword: dict[tuple[str, ...], set[str]] = {}
        for rule in rules:
            if rule.department.strip():
                by_keyword.setdefault(fold_phrase(rule.keyword), set()).add(rule.department.strip())
        # A keyword of several departments does not say which one the tool chose.
        self._keyword = {k: next(iter(v)) for k, v in by_keyword.items() if len(v) == 1}
        self._seen: dict[str, str | None] = {}

    def __call__(self, assigned_by_cell: str, post_id: str) -> str | None:
        # "keyword: kw → note; urgent: cue": the reason is what comes before any note or urgent cue.
        assigned_by = assigned_by_cell.split(";")[0].strip()
        if assigned_by == "post owner":
            return self._post_owners.get(post_id.strip())
        # A 100,000-row Tracker holds a few hundred distinct reasons: fold each keyword once.
        if assigned_by not in self._seen:
            self._seen[assigned_by] = self._reason(assigned_by)
        return self._seen[assigned_by]

    def _reason(self, assigned_by: str) -> str | None:
        if assigned_by == "triage":
            return TRIAGE_DEPARTMENT
        if assigned_by.startswith("keyword:"):
            keyword = assigned_by.removeprefix("keyword:").split(" → ")[0].strip()
            return self._keyword.get(fold_phrase(keyword))
        return None


def examples_from_rows(rows: Iterable[Mapping[str, Any]], rules: Sequence[Rule] = (), *,
                       tool_departments: Mapping[str, str] | None = None,
                       post_owners: Mapping[str, str] | None = None,
                       known_departments: Collection[str] | None = None) -> list[Example]:
    """The examples in Tracker/Archive rows (header → value): rows answered by their department and rows a
    person re-routed (see the module's docstring). ``tool_departments`` (from the Audit) takes precedence
    over reading the tool's choice back from Assigned By."""
    return scan_rows(rows, _Scan(rules, tool_departments, post_owners, known_departments), SCANNED_HEADERS, Example)


# The columns an example is judged by, in the order _Scan.source takes them.
SCANNED_HEADERS = ("Ticket ID", "Comment", "Department", "Assigned By", "Status", "Replied By", "Post ID")


class _Scan:
    """Whether one row is an example, and why: "answered", "corrected" or None (no person's hand visible)."""

    def __init__(self, rules: Sequence[Rule], tool_departments: Mapping[str, str] | None,
                 post_owners: Mapping[str, str] | None, known_departments: Collection[str] | None) -> None:
        self._audit = tool_departments or {}
        self._choice = _ToolChoice(rules, post_owners or {})
        self._known = set(known_departments) if known_departments else None

    def candidates(self, tickets: list[str], texts: list[str], departments: list[str], assigned: list[str],
                   statuses: list[str], replied: list[str], posts: list[str]) -> list[int]:
        """Offsets of the rows that may be examples (a superset, by whole columns: most rows of a busy Tracker
        are neither answered nor re-routed, and this rules them out without a call per row)."""
        finished = {status for status in set(statuses) if is_finished(status)}
        # The tool's choice per distinct Assigned By; "?" where it needs the row (post owner) or the Audit.
        reasons = {a: "?" if a.split(";")[0].strip() == "post owner" else self._choice(a, "") for a in set(assigned)}
        audited = self._audit
        return [i for i, (ticket, department, reason, status, by) in
                enumerate(zip(tickets, departments, map(reasons.__getitem__, assigned), statuses, replied,
                              strict=True))
                if (status in finished and by) or (reason is not None and reason != department)
                or (audited and ticket.strip() in audited)]

    def source(self, ticket: str, text: str, department: str, assigned_by: str, status: str, replied_by: str,
               post_id: str) -> str | None:
        """Why the row (its cells as text, in :data:`SCANNED_HEADERS` order) is an example, or None."""
        department = department.strip()
        if not department or not text.strip() or (self._known is not None and department not in self._known):
            return None
        replied_by = replied_by.strip()
        if is_finished(status) and replied_by and replied_by.lower() != ON_PLATFORM:
            return "answered"
        audited = self._audit.get(ticket.strip())
        tool_set = audited if audited is not None else self._choice(assigned_by, post_id)
        return "corrected" if tool_set and tool_set != department else None


def examples_from_table(table: Table, rules: Sequence[Rule] = (), **kwargs: Any) -> list[Example]:
    """:func:`examples_from_rows` over a Tracker or Archive table as read, column by column: a 100,000-row
    Tracker is scanned in a few hundredths of a second, and only an example's Received At is parsed. Keyword
    arguments as there."""
    scan = _Scan(rules, kwargs.get("tool_departments"), kwargs.get("post_owners"), kwargs.get("known_departments"))
    return scan_table(table, scan, SCANNED_HEADERS, Example)


def router_from_sheet(tables: Mapping[str, Table], rules: Sequence[Rule], *,
                      known_departments: Collection[str] | None = None, threshold: float = 1.0,
                      model_threshold: float = DEFAULT_MODEL_THRESHOLD,
                      post_owners: Mapping[str, str] | None = None,
                      tool_departments: Mapping[str, str] | None = None,
                      tool_categories: Mapping[str, str] | None = None) -> CombinedRouter:
    """The rules and a model trained afresh on the examples in the tables as read: the Tracker, and the
    Archive when it was read whole (a cycle reads only its key column). No model when examples are few."""
    known = set(known_departments) if known_departments else None
    examples = sheet_examples(tables, rules, known_departments=known, post_owners=post_owners,
                              tool_departments=tool_departments)
    classifier = Classifier(rules, known_departments=known, threshold=threshold)
    categories = sheet_category_examples(tables, tool_categories)
    return CombinedRouter(classifier, train(examples, rules, category_examples=categories), model_threshold)


def sheet_examples(tables: Mapping[str, Table], rules: Sequence[Rule], *,
                   known_departments: Collection[str] | None = None, post_owners: Mapping[str, str] | None = None,
                   tool_departments: Mapping[str, str] | None = None) -> list[Example]:
    """The examples in the Tracker and (when read whole) the Archive, as :func:`examples_from_table` finds them."""
    examples: list[Example] = []
    for title in ("Tracker", "Archive"):
        table = tables.get(title)
        if table is not None and "Comment" in table.col:
            examples += examples_from_table(table, rules, tool_departments=tool_departments,
                                            post_owners=post_owners, known_departments=known_departments)
    return examples


def sheet_category_examples(tables: Mapping[str, Table],
                            tool_categories: Mapping[str, str] | None = None) -> list[CategoryExample]:
    """The category examples in the Tracker and (when read whole) the Archive (see :mod:`.learned_category`)."""
    return [example for title in ("Tracker", "Archive") if (table := tables.get(title)) is not None
            for example in category_examples_from_table(table, tool_categories)]


def router_from_whole_sheet(tables: Mapping[str, Table], rules: Sequence[Rule], departments: Collection[str], *,
                            threshold: float = 1.0,
                            model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> CombinedRouter:
    """:func:`router_from_sheet` for tables read whole, outside a cycle (``classify --from-sheet``, the
    accuracy report): the Archive's rows count too, and the Audit says exactly what the tool had set."""
    posts, audit = tables.get("Posts"), tables.get("Audit")
    owners = {as_text(row.get("Post ID")).strip(): as_text(row.get("Department")).strip()
              for row in (posts.records() if posts is not None else [])}
    audit_rows = audit.records() if audit is not None else None
    return router_from_sheet(tables, rules, known_departments=departments, threshold=threshold,
                             model_threshold=model_threshold, post_owners=owners,
                             tool_departments=tool_departments_from_audit(audit_rows) if audit_rows else None,
                             tool_categories=tool_categories_from_audit(audit_rows) if audit_rows else None)
