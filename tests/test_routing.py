"""Table-driven tests of the routing package: folding, rules, classification, JSON lines."""

from __future__ import annotations

import json
import time

import pytest

from sheets_sync.routing import (
    DEPARTMENT_HEADERS,
    TRIAGE_DEPARTMENT,
    Classifier,
    Route,
    Rule,
    classify,
    classify_jsonl,
    detect_category,
    detect_language,
    load_default_departments,
    load_default_rules,
    rules_from_rows,
    rules_to_rows,
)
from sheets_sync.routing.normalize import edit_distance, fold_phrase, fold_token, tokenize
from sheets_sync.routing.rules import load_keyword_notes

RULES = load_default_rules()
DEPARTMENTS = [row["Department"] for row in load_default_departments()]


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("पानी", "पानी"),
        ("कूड़ा", "कुडा"),  # nukta and long/short u
        ("कचऱ्या", "कचर्या"),  # eyelash ra
        ("पाणी", "पाणि"),  # long/short i
        ("टँकर", "टंकर"),  # chandrabindu / anusvara
        ("पम्प", "पंप"),  # half nasal / anusvara
        ("नळ", "नल"),  # ळ typed as ल on Hindi keyboards
        ("ऑफिस", "ओफिस"),
        ("paaani", "pani"),
        ("Kachraaa", "kachra"),
        ("kooda", "kuda"),
        ("Street", "strit"),
        ("zaad", "jad"),
    ],
)
def test_fold_token_makes_variants_equal(a: str, b: str) -> None:
    assert fold_token(a) == fold_token(b)


def test_tokenize_splits_scripts_punctuation_and_emoji() -> None:
    assert tokenize("Wakad मध्ये garbage!! #PMC@pune कचऱ्याचा।ढीग 😡 ४०%") == [
        "Wakad",
        "मध्ये",
        "garbage",
        "PMC",
        "pune",
        "कचऱ्याचा",
        "ढीग",
    ]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    # 3 = more than the cap of 2 (the true distance is 4)
    [("kachara", "kachra", 1), ("abcd", "abdc", 1), ("water", "water", 0), ("pothole", "potato", 3)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == distance


# --- keyword matching through the classifier ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "department"),
    [
        # Devanagari, inflected forms (oblique -yā, postpositions)
        ("कचरा उचलला नाही", "Solid Waste Management"),
        ("कचऱ्याचा ढीग साचला", "Solid Waste Management"),
        ("रस्त्यावर खड्ड्यात पाणी साचले", "Roads"),
        ("नळाला पाणी येत नाही", "Water Supply"),
        ("पाण्याची पाईपलाईन फुटली", "Water Supply"),
        ("भटक्या कुत्र्यांचा त्रास", "Veterinary"),
        ("शाळेत शिक्षक येत नाहीत", "Education"),
        # Hindi with nukta, plurals
        ("कूड़े का ढेर लगा है", "Solid Waste Management"),
        ("सड़क पर बड़े गड्ढों से परेशान", "Roads"),
        # English, romanised, case and doubled letters
        ("POTHOLES on Baner road", "Roads"),
        ("paaani nahi aala", "Water Supply"),
        ("kachryacha dhig", "Solid Waste Management"),
        ("khadde bharle nahi", "Roads"),
        ("Streetlight not working", "Electrical"),
        ("street light band ahe", "Electrical"),
        # small misspellings (fuzzy only for words of 5+ letters)
        ("garbge everywhere", "Solid Waste Management"),
        ("mosquitos breeding", "Health"),
        ("drainege overflow", "Drainage"),
        # multi-word keywords, also written together
        ("property tax bill wrong", "Property Tax"),
        ("birth certificate kab milega", "Birth and Death Registration"),
        ("मिळकतकर भरायचा आहे", "Property Tax"),
        ("जन्म-मृत्यू नोंदणी कार्यालय", "Birth and Death Registration"),
    ],
)
def test_keyword_routing(text: str, department: str) -> None:
    route = classify(text, RULES)
    assert route.department == department, route
    assert route.assigned_by.startswith("keyword: ")


@pytest.mark.parametrize(
    "text",
    [
        "Nice post",
        "It will be done later tonight",  # later/tonight are not typos of water/...
        "दिवसभर काम केले",  # दिवस (day) is not an inflection of दिवा (lamp)
        "tyachya kade bagha",  # romanised postposition kade is not khadde
        "pan mala mahit nahi",  # pan (but) is not pani
    ],
)
def test_no_false_positive(text: str) -> None:
    assert classify(text, RULES).assigned_by == "triage"


def test_exact_match_blocks_looser_ones() -> None:
    # "nala" is the drain keyword; it must not also count as an inflection of "nal" (tap).
    assert classify("nala overflow zala", RULES).department == "Drainage"


def test_assigned_by_names_strongest_keyword_as_written() -> None:
    route = classify("आमच्या भागात कचरा आणि घंटागाडी येत नाही", RULES)
    assert route == Route("Solid Waste Management", "Complaint", "mr", "keyword: कचरा")


@pytest.mark.parametrize(
    ("post_department", "known", "expected"),
    [
        ("Garden", None, ("Garden", "post owner")),
        ("  Garden ", DEPARTMENTS, ("Garden", "post owner")),
        ("Gardening Dept", DEPARTMENTS, (TRIAGE_DEPARTMENT, "triage")),  # unknown owner
        (None, None, (TRIAGE_DEPARTMENT, "triage")),
        ("", None, (TRIAGE_DEPARTMENT, "triage")),
    ],
)
def test_fallbacks(post_department: str | None, known: list[str] | None, expected: tuple[str, str]) -> None:
    route = classify("Great initiative 👏", RULES, post_department=post_department, known_departments=known)
    assert (route.department, route.assigned_by) == expected


def test_keyword_beats_post_owner() -> None:
    route = classify("कचरा उचलला नाही", RULES, post_department="Garden")
    assert route.department == "Solid Waste Management"


def test_rules_for_unknown_or_inactive_departments_are_ignored() -> None:
    rules = [Rule("kachra", "Solid Waste Management", None, 2), Rule("kachra", "Old Dept", None, 5)]
    assert classify("kachra", rules).department == "Old Dept"
    assert classify("kachra", rules, known_departments=["Solid Waste Management"]).department == (
        "Solid Waste Management"
    )
    inactive = [Rule("kachra", "Solid Waste Management", None, 2, active=False)]
    assert classify("kachra", inactive).assigned_by == "triage"


@pytest.mark.parametrize(
    ("rules", "text", "expected"),
    [
        # below threshold -> not routed
        ([Rule("road", "Roads", None, 0.5)], "road", "triage"),
        # weights add up across distinct keywords
        (
            [Rule("road", "Roads", None, 0.5), Rule("rasta", "Roads", None, 0.5)],
            "road rasta",
            "keyword: road",
        ),
        # the same keyword twice counts once
        ([Rule("road", "Roads", None, 0.5)], "road road road", "triage"),
    ],
)
def test_threshold_and_weights(rules: list[Rule], text: str, expected: str) -> None:
    assert classify(text, rules).assigned_by == expected


def test_overlapping_keywords_count_once() -> None:
    rules = [
        Rule("stray dogs", "Veterinary", None, 3),
        Rule("dogs", "Veterinary", None, 2),
        Rule("garbage", "Solid Waste Management", None, 4),
    ]
    # "stray dogs" (3) covers "dogs"; without that rule SWM (4) would lose to 3 + 2.
    assert classify("garbage and stray dogs", rules).department == "Solid Waste Management"


@pytest.mark.parametrize(
    ("rules", "winner"),
    [
        # equal score: higher single weight wins
        ([Rule("a1", "A", None, 1), Rule("a2", "A", None, 1), Rule("b1", "B", None, 2)], "B"),
        # equal score and weight: the department listed first in the Routing tab wins
        ([Rule("b1", "B", None, 2), Rule("a1", "A", None, 2)], "B"),
        ([Rule("a1", "A", None, 2), Rule("b1", "B", None, 2)], "A"),
    ],
)
def test_ties_are_deterministic(rules: list[Rule], winner: str) -> None:
    assert classify("a1 a2 b1", rules).department == winner


def test_given_department_and_category_are_kept() -> None:
    route = classify("कचरा उचलला नाही", RULES, department="Health", category="Remark")
    assert (route.department, route.category, route.assigned_by) == ("Health", "Remark", "given")


def test_threshold_is_configurable() -> None:
    assert classify("road", RULES, threshold=0.5).department == "Roads"
    assert classify("road", RULES).assigned_by == "triage"


# --- category and language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("पाणी कधी येणार?", "Question"),
        ("When will the road be repaired", "Question"),
        ("kab aayega tanker", "Question"),
        ("कचरा उचलला नाही, तक्रार आहे", "Complaint"),
        ("streetlight not working", "Complaint"),
        ("शिकायत दर्ज करो", "Complaint"),
        ("प्रत्येक चौकात कचरापेटी ठेवावी", "Suggestion"),
        ("PMC should plant more trees", "Suggestion"),
        ("मेरा सुझाव है कि पार्क बड़ा हो", "Suggestion"),
        ("धन्यवाद, छान काम", "Remark"),
        ("Thanks for the quick work", "Remark"),
        ("Good morning Pune", "Remark"),
        ("खड्डे", "Complaint"),  # names a problem, no cue: complaint
        ("जय महाराष्ट्र", "Remark"),  # nothing at all: remark
    ],
)
def test_detect_category(text: str, category: str) -> None:
    assert detect_category(text) == category


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("कचरा उचलला नाही, खूप त्रास आहे", "mr"),
        ("कूड़ा नहीं उठाया गया है", "hi"),
        ("Garbage not collected for a week", "en"),
        ("kachra gadi aali nahi ajun, 2 divas zale", "mr"),
        ("pani ka pressure bahut kam hai", "hi"),
        ("Wakad मध्ये garbage dumping on open plot, please take action", "mixed"),
        ("Drainage line block zali ahe, please send the machine today", "mixed"),
        ("डास खूप झालेत sinhagad road la", "mr"),  # one English word does not make it mixed
        ("👍👍", "mr"),
        ("", "mr"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- rules from the sheet -----------------------------------------------------------------


def _row(
    keyword: str = "kachra",
    department: str = "Solid Waste Management",
    category: str = "",
    weight: str = "2",
    active: str = "TRUE",
) -> dict[str, str]:
    return {
        "Keyword": keyword,
        "Department": department,
        "Category": category,
        "Weight": weight,
        "Active": active,
    }


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (_row(weight="abc"), "Routing row 2: Weight 'abc' is not a number; write digits such as 24"),
        (_row(weight="-1"), "Routing row 2: Weight -1 must be more than 0"),
        # A decimal comma or a mistyped 25? Refused with a note rather than guessed.
        (_row(weight="2,5"), "Routing row 2: Weight '2,5' is ambiguous: write 2.5 or 25"),
        (_row(keyword=""), "Routing row 2: Keyword is empty"),
        (_row(keyword="123"), "has no letters to match"),
        (
            _row(category="Complain"),
            "Category 'Complain' is not one of Complaint, Question, Suggestion, Remark",
        ),
        (_row(department=""), "has neither a Department nor a Category"),
        (_row(active="maybe"), "Active 'maybe' is not TRUE or FALSE"),
    ],
)
def test_rules_from_rows_reports_bad_rows(row: dict[str, str], problem: str) -> None:
    rules, problems = rules_from_rows([row, _row(keyword="garbage")])
    assert [r.keyword for r in rules] == ["garbage"]  # the bad row is skipped, the good one kept
    assert len(problems) == 1 and problem in problems[0], problems


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (_row(), Rule("kachra", "Solid Waste Management", None, 2.0, True)),
        (_row(weight="", active=""), Rule("kachra", "Solid Waste Management", None, 1.0, True)),
        (_row(weight="2.5", active="false"), Rule("kachra", "Solid Waste Management", None, 2.5, False)),
        (_row(keyword=" तक्रार ", department="", category="complaint"), Rule("तक्रार", "", "Complaint", 2.0)),
        ({" keyword ": "x road", "DEPARTMENT": "Roads"}, Rule("x road", "Roads", None, 1.0)),
    ],
)
def test_rules_from_rows_reads_good_rows(row: dict[str, str], expected: Rule) -> None:
    assert rules_from_rows([row]) == ([expected], [])


def test_rules_from_rows_skips_blank_and_duplicate_rows() -> None:
    blank = {"Keyword": "", "Department": "", "Category": "", "Weight": "", "Active": ""}
    rules, problems = rules_from_rows([_row(), blank, _row(keyword="Kachraa")])
    assert len(rules) == 1
    assert problems == [
        "Routing row 4: 'Kachraa' for Solid Waste Management repeats row 2 — "
        "delete one of the two rows (only the first is used)"
    ]


def test_rules_from_rows_without_keyword_column() -> None:
    rules, problems = rules_from_rows([{"Word": "kachra", "Department": "Solid Waste Management"}])
    assert rules == [] and "no 'Keyword' column" in problems[0]


def test_default_rules_round_trip_through_rows() -> None:
    rules, problems = rules_from_rows(rules_to_rows(RULES))
    assert problems == [] and rules == RULES


# --- defaults -------------------------------------------------------------------------------


def test_default_departments() -> None:
    rows = load_default_departments()
    assert len(rows) == 19 and rows[-1]["Department"] == TRIAGE_DEPARTMENT
    for row in rows:
        assert tuple(row) == DEPARTMENT_HEADERS
        assert row["Active"] == "TRUE" and row["Reply Hours"] == ""
        assert row["Email"].endswith("@example.gov.in") and row["Marathi Name"]


def test_default_rules_cover_every_department() -> None:
    routed = {rule.department for rule in RULES if rule.department}
    assert routed == set(DEPARTMENTS)
    # The cell's own rules are only for what is not the corporation's (power cuts: MSEDCL),
    # and each carries the note that Assigned By shows.
    notes = load_keyword_notes()
    cell_rules = [rule for rule in RULES if rule.department == TRIAGE_DEPARTMENT]
    assert cell_rules and all(
        (fold_phrase(rule.keyword), TRIAGE_DEPARTMENT) in notes for rule in cell_rules
    )
    assert len([rule for rule in RULES if rule.department]) >= 150
    assert all(isinstance(rule.keyword, str) and rule.weight > 0 for rule in RULES)


# --- JSON lines -----------------------------------------------------------------------------


def test_classify_jsonl() -> None:
    lines = [
        json.dumps({"text": "कचरा उचलला नाही"}, ensure_ascii=False),
        "",
        "{not json",
        '["text"]',
        '{"txt": "typo"}',
        '{"text": 5}',
        '{"text": "Great initiative", "post_department": "Garden"}',
        '{"text": "hello", "post_department": 3}',
    ]
    out = [json.loads(line) for line in classify_jsonl(lines, RULES)]
    assert out[0] == {
        "department": "Solid Waste Management",
        "category": "Complaint",
        "language": "mr",
        "assigned_by": "keyword: कचरा",
    }
    assert out[1]["error"].startswith("line 3: not valid JSON")
    assert out[2]["error"].startswith("line 4: expected a JSON object")
    assert out[3]["error"] == 'line 5: "text" is missing — give the comment as {"text": "..."}'
    assert out[4]["error"].startswith('line 6: "text" is a number, not text')
    assert out[5]["assigned_by"] == "post owner"
    assert out[6]["error"].startswith('line 8: "post_department" must be text')
    assert len(out) == 7


# --- speed ----------------------------------------------------------------------------------


def test_ten_thousand_comments_well_under_two_seconds() -> None:
    texts = [
        f"{base} {i}"
        for i in range(2000)
        for base in (
            "कोथरूड मध्ये कचऱ्याचा ढीग",
            "Streetlight not working near lane 5",
            "pani nahi aala aaj",
            "Traffic jam roj hoto bypass la",
            "मतदार यादीत नाव कसे शोधायचे?",
        )
    ]
    classifier = Classifier(RULES)
    started = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    assert time.perf_counter() - started < 2.0
