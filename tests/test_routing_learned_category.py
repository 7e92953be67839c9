"""Category corrections learned: the route job records the category it set in Assigned By, a cycle finds the
rows where a person changed it (by whole columns, no Audit), and a category model trained with the department's
decides where the category cues are weak — Assigned By says ``category: Suggestion learned 0.xx``."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sheets_sync.routing import Classifier, load_default_rules
from sheets_sync.routing.learned import CombinedRouter, Example, examples_from_rows, train, vote
from sheets_sync.routing.learned_category import (
    CategoryExample,
    category_examples_from_rows,
    category_examples_from_table,
    mark_category,
    tool_categories_from_audit,
    tool_category,
)
from sheets_sync.routing.learned_report import dashboard_lines, recent_accuracy
from sheets_sync.schema import load_schema
from sheets_sync.tracker.table import Table

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
DATA = Path(__file__).parent / "data" / "labelled_comments.jsonl"
RECORDS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
RULES = load_default_rules()
CLASSIFIER = Classifier(RULES)
# "Please start X": a request the cell files as a Suggestion; the rules have no cue for it (Complaint when a
# keyword routes it, Remark when none does), so people correct the Category.
THINGS = ["more garbage bins", "a yoga class in the garden", "a water ATM", "a skating rink in the park",
          "a footpath on the main road", "CCTV at the signal", "a dog shelter", "more street lights"]
AREAS = ["Kothrud", "Baner", "Hadapsar", "Aundh"]
QUERY = "Please start a skating rink in the garden at Wakad"


def sheet_rows() -> list[dict]:
    """A Tracker as people leave it: 40 labelled comments answered or re-routed, and 32 "please start" rows
    whose Category a person changed from the tool's to Suggestion (and two re-routed to another department)."""
    rest = [r for r in RECORDS if r.get("set") != "holdout"]
    random.Random(0).shuffle(rest)
    rows = []
    for n, record in enumerate(rest[:40]):
        route = CLASSIFIER.classify(record["text"], post_department=record.get("post_department"))
        right = route.department == record["department"]
        rows.append({"Ticket ID": f"FB-{n}", "Comment": record["text"], "Department": record["department"],
                     "Category": record["category"], "Assigned By": mark_category(route.assigned_by, route.category),
                     "Status": "Replied" if right else "Assigned", "Replied By": "desk" if right else ""})
    for n, text in enumerate(f"Please start {thing} in {area}" for thing in THINGS for area in AREAS):
        route = CLASSIFIER.classify(text)
        moved = n in (3, 7)  # a person also re-routed these two: Projects builds them
        rows.append({"Ticket ID": f"FB-s{n}", "Comment": text, "Department": "Projects" if moved else route.department,
                     "Category": "Suggestion", "Assigned By": mark_category(route.assigned_by, route.category),
                     "Status": "Assigned" if moved else "Replied", "Replied By": "" if moved else "desk"})
    return rows


def test_the_tool_records_its_category_and_reads_it_back() -> None:
    assert mark_category("keyword: garbage", "Complaint") == "keyword: garbage; category: Complaint"
    learned = "triage; category: Suggestion learned 0.61"
    assert mark_category(learned, "Remark") == learned  # the model's choice is already recorded
    assert tool_category(learned) == "Suggestion"
    assert tool_category("keyword: fire; category: Complaint; urgent: fire") == "Complaint"
    assert tool_category("keyword: garbage") is None  # routed before the mark existed
    assert tool_category("triage; category: Whatever") is None  # edited by hand into nonsense
    audit = tool_categories_from_audit([
        {"Job": "route", "Ticket ID": "FB-1", "Column": "Category", "New": "Complaint"},
        {"Job": "route", "Ticket ID": "FB-1", "Column": "Category", "New": "Question"},  # later wins
        {"Job": "route", "Ticket ID": "FB-2", "Column": "Department", "New": "Roads"},
        {"Job": "sla", "Ticket ID": "FB-3", "Column": "Category", "New": "Remark"},
    ])
    assert audit == {"FB-1": "Question"}


def test_category_examples_are_the_rows_people_corrected_or_answered() -> None:
    rows = [
        {"Ticket ID": "FB-1", "Comment": "start a library", "Category": "Suggestion", "Status": "Assigned",
         "Assigned By": "triage; category: Remark", "Received At": "2026-11-20 10:00"},  # corrected
        {"Ticket ID": "FB-2", "Comment": "kachra", "Category": "Complaint", "Status": "Replied",
         "Replied By": "desk", "Assigned By": "keyword: garbage; category: Complaint"},  # answered as it was
        {"Ticket ID": "FB-3", "Comment": "pothole", "Category": "Complaint", "Status": "Assigned",
         "Assigned By": "keyword: pothole; category: Complaint"},  # untouched
        {"Ticket ID": "FB-4", "Comment": "old row", "Category": "Question", "Status": "Assigned",
         "Assigned By": "keyword: pothole"},  # unmarked: only the Audit can tell
        {"Ticket ID": "FB-5", "Comment": "x", "Category": "Suggestion", "Status": "Replied",
         "Replied By": "on platform", "Assigned By": "triage; category: Suggestion"},  # answered by no one here
        {"Ticket ID": "FB-6", "Comment": "", "Category": "Question", "Status": "Assigned",
         "Assigned By": "triage; category: Remark"},  # no text to learn from
    ]
    expected = [("start a library", "Suggestion", "corrected"), ("kachra", "Complaint", "answered")]
    assert [(e.text, e.category, e.source) for e in category_examples_from_rows(rows)] == expected
    with_audit = category_examples_from_rows(rows, {"FB-4": "Complaint"})
    assert ("old row", "Question", "corrected") in [(e.text, e.category, e.source) for e in with_audit]
    tab = load_schema()["Tracker"]
    table = Table(tab, tab.headers, [[row.get(h, "") for h in tab.headers] for row in rows], IST)
    from_table = category_examples_from_table(table, {"FB-4": "Complaint"})
    assert [(e.text, e.category, e.source) for e in from_table] == [(e.text, e.category, e.source)
                                                                   for e in with_audit]
    assert from_table[0].received_at == datetime(2026, 11, 20, 10, 0, tzinfo=IST)


def test_corrected_categories_teach_the_category_where_the_cues_are_weak() -> None:
    rows = sheet_rows()
    examples, categories = examples_from_rows(rows, RULES), category_examples_from_rows(rows)
    assert sum(e.source == "corrected" for e in categories) >= 32
    router = CombinedRouter(CLASSIFIER, train(examples, RULES, category_examples=categories))
    assert CLASSIFIER.classify(QUERY).category == "Complaint"  # no cue: a routed comment is a complaint
    route = router.classify(QUERY)
    assert route.category == "Suggestion" and route.department == "Garden"
    assert route.assigned_by.startswith("keyword: garden; category: Suggestion learned 0.")
    # A strong cue still decides, and a category a person gave is kept.
    assert router.classify("Please start a skating rink in the garden?? kab hoga? kuthe ahe?").category == "Question"
    assert router.classify(QUERY, category="Remark").category == "Remark"
    # Without category examples there is no category model: the rules' category, exactly.
    plain = CombinedRouter(CLASSIFIER, train(examples, RULES))
    assert plain.model is not None and plain.model.category_model is None
    assert plain.classify(QUERY).category == "Complaint"


def test_the_vote_needs_the_threshold_only_where_the_rules_are_silent() -> None:
    assert vote({"Roads": 0.5, "Garden": 0.5}, {}, 0.6) is None  # silent rules, unsure model: no choice
    assert vote({"Roads": 0.7, "Garden": 0.3}, {}, 0.6) == ("Roads", 0.7)
    # A weak keyword for Garden (score 1 of at least 2: 0.35 × 0.5) against a model that prefers Roads by 0.2.
    assert vote({"Roads": 0.55, "Garden": 0.35}, {"Garden": 1.0}, 0.6) == ("Garden", 0.35)
    assert vote({"Roads": 0.75, "Garden": 0.15}, {"Garden": 1.0}, 0.6) == ("Roads", 0.75)


def test_the_dashboard_shows_the_category_figure() -> None:
    older = [CategoryExample(r["text"], r["category"], "answered", NOW - timedelta(days=60))
             for r in RECORDS if r.get("set") != "holdout"]
    recent = [CategoryExample(r["text"], r["category"], "corrected", NOW - timedelta(days=3))
              for r in RECORDS if r.get("set") == "holdout"]
    departments = [Example(r["text"], r["department"], "answered", NOW - timedelta(days=60)) for r in RECORDS]
    figures = recent_accuracy(departments, RULES, CLASSIFIER, NOW, 0.4, category_examples=[*older, *recent])
    assert (figures.category_examples, figures.category_recent) == (len(older) + len(recent), 42)
    assert figures.category_rules is not None and figures.category_combined is not None
    print(f"category on the 42 holdout comments: rules {figures.category_rules:.1%}, "
          f"combined {figures.category_combined:.1%}")
    assert figures.category_combined >= figures.category_rules - 0.03  # within one comment of the rules
    line = dashboard_lines(figures)[-1]
    assert line[0] == "Learned router, category" and "of 42 rows in the last 30 days (rules alone " in line[1]


def world_with_people_rows(tmp_path):
    """A world whose Tracker holds ``sheet_rows()`` (answered and corrected rows) after a first cycle; and its
    Facebook post."""
    from sheets_sync.demo.world import World

    world = World.create(tmp_path, NOW)
    post = world.post("facebook", "notice")
    world.runner("A").cycle()
    sheet = world.worksheet("Tracker")
    headers = sheet.row_values(1)
    sheet.append_rows([[row.get(h, "") for h in headers] for row in sheet_rows()], value_input_option="RAW")
    return world, post


def test_a_cycle_learns_corrected_categories_and_classify_from_sheet_too(tmp_path, monkeypatch, capsys) -> None:
    from sheets_sync import cli, client

    world, post = world_with_people_rows(tmp_path)
    world.comment("facebook", post, QUERY, "Neha")
    world.comment("facebook", post, "Garbage not collected in Kothrud for three days", "Ravi")
    runner = world.runner("A")
    result = runner.cycle()
    assert result.ok and result.counts["route"].get("learned category") == 1, result.counts
    records = {r["Comment"]: r for r in world.worksheet("Tracker").get_all_records()}
    new = records[QUERY]
    assert (new["Department"], new["Category"]) == ("Garden", "Suggestion")
    assert new["Assigned By"].startswith("keyword: garden; category: Suggestion learned 0.")
    # A comment the rules are sure of keeps the rules' category, recorded for the next correction.
    assert records["Garbage not collected in Kothrud for three days"]["Assigned By"].endswith("; category: Complaint")

    monkeypatch.setattr(client, "connect", lambda config: runner.backend)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "Please start a skating rink in the park at Warje"}\n'))
    assert cli._classify(runner.config) == 0
    out = capsys.readouterr()
    found = json.loads(out.out)
    assert found["category"] == "Suggestion" and "category: Suggestion learned 0." in found["assigned_by"]
    assert "for the category)" in out.err


def test_the_cycle_scans_for_examples_only_when_a_training_could_follow(tmp_path) -> None:
    from sheets_sync.routing.model_cache import cache_for

    world, post = world_with_people_rows(tmp_path)
    runner = world.runner("A")
    cache = cache_for(f"{runner.config.spreadsheet_id}|{runner.config.data_dir}")
    for n in range(3):
        world.comment("facebook", post, f"Pothole near Kothrud depot {n}", "Neha")
        assert runner.cycle().ok
    assert (cache.scans, cache.trainings) == (1, 1)  # a few new rows: neither a scan nor a training
    world.clock.advance(hours=25)
    world.comment("facebook", post, "Pothole near Kothrud depot again", "Neha")
    assert runner.cycle().ok
    assert cache.scans == 2  # a day on: scanned (and retrained only if the examples changed)
    world.comment("facebook", post, "Pothole near Kothrud depot, third time", "Neha")
    assert runner.cycle(["check", "route"], on_demand=True).ok
    assert (cache.scans, cache.entry.reason if cache.entry else None) == (3, "on demand")
