"""Issue 19: keywords that sent everyday sentences to the wrong department, and the demo's replies.

One row per sentence quoted in the issue.  The rule behind the fixes: a keyword that is also a
common word of another meaning (स्वच्छ "clean", मीटर "metre", डाल "put", पाणी any water) or a
prefix of unrelated words (पूर of पूरा/पूर्ण) is never enough on its own; it needs a longer
phrase or a second word.
"""

from __future__ import annotations

import pytest

from sheets_sync.demo import reply_for
from sheets_sync.demo.scenario_data import NOT_PMC_REPLIES, REPLIES
from sheets_sync.routing import TRIAGE_DEPARTMENT, classify, load_default_rules
from sheets_sync.routing.classify import DEFAULT_THRESHOLD

RULES = load_default_rules()
NOT_PMC = "MSEDCL (महावितरण), not PMC"


@pytest.mark.parametrize(
    ("text", "department"),
    [
        # पूर (flood) is a prefix of Hindi पूरा (complete).
        ("सड़क का काम पूरा नहीं हुआ", "Roads"),
        # "पाण्याचे बिल" no longer hides the stem पाणी; the tank is Water Supply's.
        ("पाण्याची टाकी", "Water Supply"),
        # स्वच्छ is "clean" here, not cleanliness.
        ("स्वच्छ पाणी मिळत नाही", "Water Supply"),
        # डाल is the verb "put": debris dumped is the solid waste department's (as English `debris`).
        ("मलबा डाल दिया", "Solid Waste Management"),
        # पाणी alone is below the threshold; तुंबले (blocked) makes it the drain's.
        ("पाणी तुंबले आहे", "Drainage"),
        # Words that were missing.
        ("खडडे बुजवा", "Roads"),
        ("पाणीकपात कधी संपणार", "Water Supply"),
        ("नालेसफाई झाली नाही", "Drainage"),
        ("धुरीकरण करावे, डास वाढले", "Health"),
        ("रस्त्यावर राडारोडा टाकला आहे", "Solid Waste Management"),
        ("गली में कचड़ा पड़ा है", "Solid Waste Management"),
        ("pani puravatha band ahe", "Water Supply"),
        # Street lights are still the Electrical department's.
        ("पथदिवे बंद आहेत", "Electrical"),
        ("street light not working near the school", "Electrical"),
        # Flood phrases still route to Disaster Management.
        ("पूर आला आहे, मदत पाठवा", "Disaster Management"),
        ("पेड़ की डाल टूट कर गिरी है", "Garden"),
    ],
)
def test_issue_sentences_route(text: str, department: str) -> None:
    route = classify(text, RULES)
    assert route.department == department, route


def test_distance_metre_does_not_route() -> None:
    # मीटर alone is the unit of distance: no department (triage, or the post's owner).
    assert classify("१०० मीटर अंतरावर", RULES).department == TRIAGE_DEPARTMENT
    assert classify("१०० मीटर अंतरावर", RULES, post_department="Roads").assigned_by == "post owner"


@pytest.mark.parametrize("text", ["वीज गेली", "light nahi", "बिजली नहीं है", "सकाळपासून वीज नाही", "power cut since 2 hours"])
def test_power_cuts_are_marked_not_pmc(text: str) -> None:
    route = classify(text, RULES)
    assert route.department == TRIAGE_DEPARTMENT and route.department != "Electrical"
    assert route.assigned_by.startswith("keyword: ") and route.assigned_by.endswith(f"→ {NOT_PMC}")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("मिळकत कर भरण्याची शेवटची तारीख कोणती", "Question"),
        ("कोणता अर्ज भरायचा", "Question"),
        ("पानी क्यों नहीं आ रहा", "Question"),
    ],
)
def test_question_cues(text: str, category: str) -> None:
    assert classify(text, RULES).category == category


@pytest.mark.parametrize("keyword", ["पूर", "डाल", "डाली", "मीटर", "स्वच्छ", "पाणी"])
def test_ambiguous_keywords_are_never_enough_alone(keyword: str) -> None:
    weights = [rule.weight for rule in RULES if rule.keyword == keyword and rule.department]
    assert weights and all(weight < DEFAULT_THRESHOLD for weight in weights)
    for sentence in (keyword, f"{keyword} आहे", f"आज {keyword} बघितले"):
        route = classify(sentence, RULES)
        assert (route.department, route.assigned_by) == (TRIAGE_DEPARTMENT, "triage"), sentence


# --- the demo's replies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "language", "expected"),
    [
        ("Remark", "mr", "धन्यवाद"),
        ("Remark", "hi", "धन्यवाद"),
        ("Remark", "en", "Thank you for your kind words"),
        ("Question", "en", "question"),
        ("Question", "mr", "प्रश्न"),
        ("Suggestion", "hi", "सुझाव"),
        ("Complaint", "en", "complaint"),
        ("Complaint", "mixed", "तक्रार"),
    ],
)
def test_demo_reply_by_category_and_language(category: str, language: str, expected: str) -> None:
    assert expected in reply_for(category, language)


def test_demo_thanks_gets_a_thanks_in_its_language() -> None:
    for text, language in (("धन्यवाद, खूप छान काम!", "mr"), ("Great work PMC, thank you", "en"),
                           ("बहुत बढ़िया काम, शुक्रिया", "hi")):
        route = classify(text, RULES)
        assert (route.category, route.language) == ("Remark", language)
        reply = reply_for(route.category, route.language)
        assert reply == REPLIES["Remark"][language]
        assert "तक्रार" not in reply and "शिकायत" not in reply and "complaint" not in reply


def test_demo_power_cut_gets_the_msedcl_reply() -> None:
    route = classify("वीज गेली आहे सकाळपासून", RULES)
    assert reply_for(route.category, route.language, route.assigned_by) == NOT_PMC_REPLIES["mr"]


def test_demo_reply_table_is_complete() -> None:
    assert set(REPLIES) == {"Complaint", "Question", "Suggestion", "Remark"}
    assert all(set(row) == {"mr", "hi", "en"} for row in REPLIES.values())
