"""The classifier: which department, which category, which language, and why.

Routing order (from the issue): (a) the Routing tab's keyword rules when they match with
enough weight; (b) else the department that owns the post; (c) else the Social Media Cell
for triage.  ``Route.assigned_by`` records which: ``keyword: <kw>``, ``post owner``,
``triage`` (or ``given`` when a person had already set the department).  A default keyword
with a note adds it: power cuts go to the cell as ``keyword: वीज गेली → MSEDCL (महावितरण),
not PMC``, so the cell sees at once that the comment is the electricity company's.

How a keyword matches a token (both folded by :mod:`.normalize`):

* exactly; when a token equals some one-word keyword exactly, no looser match is tried for
  it (``nala`` is the drain, not an inflection of ``nal``, the tap);
* else as an inflected form: keyword stem + a listed ending (कचऱ्याचा, खड्ड्यात, potholes);
  the longest matching stem that belongs to a one-word keyword counts (longer stems of
  phrase words are kept too: पाण्याची matches both "पाण्याचे बिल"'s first word and पाणी);
* else as a typo: Damerau-Levenshtein distance <= 1 for words of 5+ letters, <= 2 for 8+,
  same first letter, and never for an everyday word (``later`` is not ``water``).

Multi-word keywords match consecutive tokens, and also the words written together
(``street light`` matches ``streetlight``); two adjacent tokens written apart also match a
one-word keyword (``street light`` matches the keyword ``streetlight``).

Scoring: a department's score is the sum of the weights of the distinct keywords that
matched; where matches of one department overlap (``stray dogs`` vs ``dogs``), only the
heaviest (then longest) counts.  The best department wins when its score reaches the
threshold.  Ties: the higher single keyword weight, then the department whose first rule
comes first in the Routing tab (the order people control).  We route a tie rather than
triage it because both candidates are plausible and a wrong department can forward it,
while triage always costs a person's time.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .language import detect_language, is_common_word
from .normalize import (
    DEVANAGARI,
    MIN_STEM,
    edit_distance,
    fold_phrase,
    fold_token,
    is_inflection,
    keyword_stems,
    script_of,
    tokenize,
)
from .rules import CATEGORIES, Rule, load_default_rules, load_keyword_notes

__all__ = [
    "TRIAGE_DEPARTMENT",
    "Route",
    "Classifier",
    "classify",
    "classify_jsonl",
    "detect_category",
]

TRIAGE_DEPARTMENT = "Social Media Cell"
DEFAULT_THRESHOLD = 1.0

# Tie order for categories: a comment that both asks and complains is handled as a complaint.
_CATEGORY_PRIORITY = {
    name: rank for rank, name in enumerate(("Complaint", "Question", "Suggestion", "Remark"))
}
# Marathi optative endings (करावे, ठेवाव्यात, द्यावा = "should be done") mark a suggestion.
_OPTATIVE_ENDINGS = tuple(fold_token("क" + ending)[1:] for ending in ("ावे", "ावी", "ावेत", "ाव्यात", "ावा"))
_QUESTION_MARK_WEIGHT = 1.0
_OPTATIVE_WEIGHT = 1.5
_TOKEN_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Route:
    """Where a comment goes and why."""

    department: str
    category: str
    language: str
    assigned_by: str


@dataclass(frozen=True)
class _Match:
    rule_index: int
    start: int
    end: int
    fuzzy: bool


class Classifier:
    """Rules compiled into lookup tables; build once, classify many comments.

    Inactive rules and rules for departments outside ``known_departments`` (when given) are
    left out here, so they can never match.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        known_departments: Collection[str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        known = None if known_departments is None else {d.strip() for d in known_departments}
        self.threshold = threshold
        self._known = known
        self.rules: list[Rule] = [rule for rule in rules if _in_scope(rule, known)]
        self._department_order: dict[str, int] = {}
        self._term_ids: dict[str, int] = {}
        self._single: dict[int, list[int]] = {}
        self._multi: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
        for index, rule in enumerate(self.rules):
            self._index_rule(index, rule)
        self._stems, self._fuzzy = self._loose_match_tables()
        self._token_cache: dict[str, tuple[tuple[int, ...], bool]] = {}

    def _index_rule(self, index: int, rule: Rule) -> None:
        """Enter one rule's department order and keyword terms into the exact-match tables."""
        if rule.department:
            self._department_order.setdefault(rule.department.strip(), index)
        words = fold_phrase(rule.keyword)
        if not words:
            return
        ids = tuple(self._term(word) for word in words)
        if len(ids) == 1:
            self._single.setdefault(ids[0], []).append(index)
        else:
            self._multi.setdefault(ids[0], []).append((index, ids))
            # The same phrase written as one word: "street light" / "streetlight".
            self._single.setdefault(self._term("".join(words)), []).append(index)

    def _loose_match_tables(self) -> tuple[dict[str, list[int]], dict[str, list[tuple[str, int]]]]:
        """Stem → term ids (for inflected forms), and first letter → (term, id) for typo matching."""
        # Typos are forgiven only in department keywords: cue words are short function words
        # whose near neighbours are ordinary words or place names (कर्वे is not करावे).
        department_terms = {
            term_id
            for term_id, indices in self._single.items()
            if any(self.rules[index].department for index in indices)
        }
        stems: dict[str, list[int]] = {}
        fuzzy: dict[str, list[tuple[str, int]]] = {}
        for term, term_id in self._term_ids.items():
            for stem in keyword_stems(term):
                stems.setdefault(stem, []).append(term_id)
            if len(term) >= 5 and term_id in department_terms:
                fuzzy.setdefault(term[0], []).append((term, term_id))
        return stems, fuzzy

    def _term(self, word: str) -> int:
        return self._term_ids.setdefault(word, len(self._term_ids))

    # --- matching --------------------------------------------------------------------------

    def _token_terms(self, token: str) -> tuple[tuple[int, ...], bool]:
        """Term ids a folded token matches, and whether the match was only fuzzy."""
        cached = self._token_cache.get(token)
        if cached is not None:
            return cached
        result = self._match_token(token)
        if len(self._token_cache) >= _TOKEN_CACHE_LIMIT:
            self._token_cache.clear()
        self._token_cache[token] = result
        return result

    def _match_token(self, token: str) -> tuple[tuple[int, ...], bool]:
        exact = self._term_ids.get(token)
        if exact is not None and exact in self._single:
            return (exact,), False
        # A token that is only the first word of a phrase (पाण्याचे of "पाण्याचे बिल", नाले of
        # "नाले सफाई") must not hide the one-word keyword it inflects (पाणी, नाला): keep it and
        # go on to shorter stems until one names a one-word keyword.
        found: list[int] = [] if exact is None else [exact]
        script = script_of(token)
        for cut in range(len(token) - 1, MIN_STEM[script] - 1, -1):
            term_ids = self._stems.get(token[:cut])
            if term_ids and is_inflection(token[cut:], script):
                found.extend(term_id for term_id in term_ids if term_id not in found)
                if any(term_id in self._single for term_id in term_ids):
                    break
        if found:
            return tuple(found), False
        if len(token) < 5 or is_common_word(token):
            return (), False
        best: list[int] = []
        best_distance = 3
        for term, term_id in self._fuzzy.get(token[0], ()):
            limit = 2 if min(len(term), len(token)) >= 8 else 1
            if abs(len(term) - len(token)) > limit:
                continue
            distance = edit_distance(token, term, limit)
            if distance > limit or distance > best_distance:
                continue
            if distance < best_distance:
                best, best_distance = [], distance
            best.append(term_id)
        return tuple(best), bool(best)

    def matches(self, text: str) -> list[_Match]:
        """Every rule occurrence in ``text`` (before overlap and duplicate removal)."""
        tokens = [fold_token(token) for token in tokenize(text)]
        per_token = [self._token_terms(token) for token in tokens]
        found: list[_Match] = []
        for i, (term_ids, fuzzy) in enumerate(per_token):
            for term_id in term_ids:
                for rule_index in self._single.get(term_id, ()):
                    found.append(_Match(rule_index, i, i + 1, fuzzy))
                for rule_index, sequence in self._multi.get(term_id, ()):
                    end = i + len(sequence)
                    if end > len(tokens):
                        continue
                    if all(sequence[j] in per_token[i + j][0] for j in range(1, len(sequence))):
                        any_fuzzy = fuzzy or any(per_token[i + j][1] for j in range(1, len(sequence)))
                        found.append(_Match(rule_index, i, end, any_fuzzy))
        for i in range(len(tokens) - 1):
            joined = self._term_ids.get(tokens[i] + tokens[i + 1])
            if joined is not None:
                for rule_index in self._single.get(joined, ()):
                    found.append(_Match(rule_index, i, i + 2, False))
        return found

    def _select(self, found: Iterable[_Match], key_of) -> dict[str, list[_Match]]:
        """Group matches by ``key_of(rule)``; drop overlaps within a group and repeated keywords."""
        ordered = sorted(
            found, key=lambda m: (-self.rules[m.rule_index].weight, -(m.end - m.start), m.fuzzy, m.rule_index)
        )
        groups: dict[str, list[_Match]] = {}
        covered: dict[str, set[int]] = {}
        used: set[tuple[str, int]] = set()
        for match in ordered:
            key = key_of(self.rules[match.rule_index])
            if not key or (key, match.rule_index) in used:
                continue
            span = set(range(match.start, match.end))
            taken = covered.setdefault(key, set())
            if span & taken:
                continue
            taken |= span
            used.add((key, match.rule_index))
            groups.setdefault(key, []).append(match)
        return groups

    # --- decisions -------------------------------------------------------------------------

    def _route_department(self, found: list[_Match]) -> tuple[str, str] | None:
        groups = self._select(found, lambda rule: rule.department.strip())
        best: tuple[float, float, int] | None = None
        winner: tuple[str, str] | None = None
        for department, department_matches in groups.items():
            score = sum(self.rules[m.rule_index].weight for m in department_matches)
            if score < self.threshold:
                continue
            strongest = min(
                department_matches,
                key=lambda m: (-self.rules[m.rule_index].weight, m.fuzzy, m.rule_index),
            )
            top_weight = self.rules[strongest.rule_index].weight
            rank = (score, top_weight, -self._department_order.get(department, len(self.rules)))
            if best is None or rank > best:
                best = rank
                keyword = self.rules[strongest.rule_index].keyword
                note = _keyword_notes().get((fold_phrase(keyword), department))
                winner = (department, f"keyword: {keyword}" + (f" → {note}" if note else ""))
        return winner

    def _category(self, text: str, found: list[_Match], routed_by_keyword: bool) -> str:
        scores = self._category_scores(text, found)
        best = max(scores.items(), key=lambda item: (item[1], -_CATEGORY_PRIORITY[item[0]]))
        if best[1] > 0:
            return best[0]
        # No cue word at all: a comment naming a civic problem is a complaint; anything else
        # ("Nice post", "जय महाराष्ट्र") is a remark.
        return "Complaint" if routed_by_keyword else "Remark"

    def _category_scores(self, text: str, found: list[_Match]) -> dict[str, float]:
        groups = self._select(found, lambda rule: rule.category or "")
        scores = {name: 0.0 for name in CATEGORIES}
        for category, category_matches in groups.items():
            scores[category] += sum(self.rules[m.rule_index].weight for m in category_matches)
        if "?" in text or "？" in text:
            scores["Question"] += _QUESTION_MARK_WEIGHT
        for token in tokenize(text):
            if (
                script_of(token) == DEVANAGARI
                and len(token) >= 4
                and fold_token(token).endswith(_OPTATIVE_ENDINGS)
            ):
                scores["Suggestion"] += _OPTATIVE_WEIGHT
                break
        return scores

    def department_scores(self, text: str) -> dict[str, float]:
        """Each matched department's score (as the routing decision counts it): how strong the rules are."""
        groups = self._select(self.matches(text), lambda rule: rule.department.strip())
        return {dept: sum(self.rules[m.rule_index].weight for m in found) for dept, found in groups.items()}

    def category_scores(self, text: str) -> dict[str, float]:
        """Each category's score from its cue words, question marks and optative endings: how strong the rules
        are about the category (all zero: the category is a default, Complaint or Remark)."""
        return self._category_scores(text, self.matches(text))

    def category_of(self, text: str) -> str:
        """Complaint, Question, Suggestion or Remark for ``text``."""
        found = self.matches(text)
        return self._category(text, found, self._route_department(found) is not None)

    def classify(
        self,
        text: str,
        *,
        post_department: str | None = None,
        department: str | None = None,
        category: str | None = None,
    ) -> Route:
        """Route one comment.  A non-empty ``department``/``category`` (set by a person) is kept."""
        found = self.matches(text)
        routed = self._route_department(found)
        if department and department.strip():
            chosen = (department.strip(), "given")
        elif routed is not None:
            chosen = routed
        elif post_department and post_department.strip() and self._is_known(post_department.strip()):
            chosen = (post_department.strip(), "post owner")
        else:
            chosen = (TRIAGE_DEPARTMENT, "triage")
        if category and category.strip():
            chosen_category = category.strip()
        else:
            chosen_category = self._category(text, found, routed is not None)
        return Route(chosen[0], chosen_category, detect_language(text), chosen[1])

    def _is_known(self, department: str) -> bool:
        return self._known is None or department in self._known


def _in_scope(rule: Rule, known: set[str] | None) -> bool:
    """An active rule that routes (an urgent-only cue does not) whose department (if any) is known (when the
    known departments are given)."""
    return rule.active and rule.routes and (not rule.department or known is None or rule.department.strip() in known)


_CACHE: list[tuple[tuple[Rule, ...], frozenset[str] | None, float, Classifier]] = []
_CACHE_SIZE = 4


def _classifier(
    rules: Sequence[Rule], known_departments: Collection[str] | None, threshold: float
) -> Classifier:
    # Rules are compared by value, but with the same Rule objects the tuple comparison
    # short-circuits on identity, so a cache hit costs microseconds even for 1,000 rules.
    key_rules = tuple(rules)
    key_known = None if known_departments is None else frozenset(d.strip() for d in known_departments)
    for cached_rules, cached_known, cached_threshold, classifier in _CACHE:
        if cached_threshold == threshold and cached_known == key_known and cached_rules == key_rules:
            return classifier
    classifier = Classifier(key_rules, known_departments=key_known, threshold=threshold)
    _CACHE.insert(0, (key_rules, key_known, threshold, classifier))
    del _CACHE[_CACHE_SIZE:]
    return classifier


def classify(
    text: str,
    rules: Sequence[Rule],
    *,
    post_department: str | None = None,
    known_departments: Collection[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    department: str | None = None,
    category: str | None = None,
) -> Route:
    """Route one comment: department, category, language and ``assigned_by``.

    ``assigned_by`` is ``"keyword: <kw>"`` (the strongest keyword of the winning department,
    as written in the rule), ``"post owner"``, ``"triage"`` (department
    ``"Social Media Cell"``), or ``"given"`` when ``department`` was passed in: a Department
    or Category a person already set is returned unchanged.  Rules for departments not in
    ``known_departments`` (when given) and inactive rules are ignored; so is a
    ``post_department`` that is not a known department.
    """
    classifier = _classifier(rules, known_departments, threshold)
    return classifier.classify(
        text, post_department=post_department, department=department, category=category
    )


@lru_cache(maxsize=1)
def _keyword_notes() -> dict[tuple[tuple[str, ...], str], str]:
    return load_keyword_notes()


@lru_cache(maxsize=1)
def _default_rules() -> tuple[Rule, ...]:
    return tuple(load_default_rules())


def detect_category(text: str, rules: Sequence[Rule] | None = None) -> str:
    """Complaint, Question, Suggestion or Remark, from cue words (default rules when ``rules`` is None)."""
    return _classifier(_default_rules() if rules is None else rules, None, DEFAULT_THRESHOLD).category_of(
        text
    )


def classify_jsonl(
    lines: Iterable[str],
    rules: Sequence[Rule],
    *,
    known_departments: Collection[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    classifier: Classifier | None = None,
) -> Iterator[str]:
    """Classify JSON lines ``{"text": ..., "post_department": ...}``; yield one JSON line each.

    ``classifier``: anything with :meth:`Classifier.classify`'s signature (the rules and the learned router
    together, :class:`.learned.CombinedRouter`); default: the rules alone.

    Output lines are ``{"department", "category", "language", "assigned_by"}``.  A line
    that is not a JSON object with a text ``"text"`` yields ``{"error": "line N: ..."}``
    and the rest are still processed.  Blank lines are skipped (they carry no comment).
    """
    if classifier is None:
        classifier = _classifier(rules, known_departments, threshold)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _error(
                number, f"not valid JSON ({exc.msg} at column {exc.colno}) — write one JSON object per line"
            )
            continue
        if not isinstance(record, dict):
            yield _error(number, 'expected a JSON object such as {"text": "..."}')
            continue
        text = record.get("text")
        if not isinstance(text, str):
            what = "missing" if "text" not in record else f"{_json_kind(text)}, not text"
            yield _error(number, f'"text" is {what} — give the comment as {{"text": "..."}}')
            continue
        post_department = record.get("post_department")
        if post_department is not None and not isinstance(post_department, str):
            yield _error(number, '"post_department" must be text (a department name) or null')
            continue
        route = classifier.classify(text, post_department=post_department)
        yield json.dumps(
            {
                "department": route.department,
                "category": route.category,
                "language": route.language,
                "assigned_by": route.assigned_by,
            },
            ensure_ascii=False,
        )


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _error(number: int, message: str) -> str:
    return json.dumps({"error": f"line {number}: {message}"}, ensure_ascii=False)
