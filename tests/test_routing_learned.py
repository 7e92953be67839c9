"""The learned router: examples from the sheet's rows, how it combines with the rules, what it buys.

Accuracy is measured as bench/bench_learning.py does: the 42 comments written after the rules plus 58 drawn
from the rest are held out (never fed); the remaining labelled comments are fed as the Tracker rows people
leave (answered by their department when the rules were right, re-routed when they were wrong).
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
from pathlib import Path

import pytest

from sheets_sync.routing import Classifier, classify, load_default_rules
from sheets_sync.routing.learned import (
    MIN_EXAMPLES,
    CombinedRouter,
    Example,
    examples_from_rows,
    tool_departments_from_audit,
    train,
)

DATA = Path(__file__).parent / "data" / "labelled_comments.jsonl"
RECORDS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
RULES = load_default_rules()
MODEL_THRESHOLD = 0.3
CLASSIFIER = Classifier(RULES)
# Comments no rule places (lasikaran, vaccination in romanised Marathi, is the Health department's; no keyword
# says so).
VACCINE = [
    "Lasikaran camp kuthe ahe Kothrud madhe?", "Aundh madhe mulanche lasikaran kadhi?",
    "balache lasikaran kuthe hote Hadapsar la", "polio lasikaran date sanga please", "mofat lasikaran ahe ka?",
    "Lasikaran kendra band ahe aaj, Warje", "lasikaran kendra kuthe ahe?", "Baner lasikaran kendra vel?",
    "Ravivari Katraj la lasikaran shibir ahe ka?", "lasikaran pramanpatra chuk ahe, kuthe jau?",
    "lasikaran shibir Yerawada madhe kadhi?", "Dhankawadi lasikaran kendra kuthe?", "lasikaran kadhi milel?",
    "mulanna lasikaran dyayche ahe, kendra sanga", "lasikaran shibir zale ka Kasba Peth la?",
    "Bibwewadi lasikaran vel kay ahe?", "lasikaran sathi nondni kuthe?", "lasikaran kendra ughada ka?",
    "Vishrantwadi la lasikaran shibir ahe ka?", "lasikaran kendra lamb ahe, javal kuthe?",
]


def sheet_row(record: dict, n: int) -> dict:
    """A labelled comment as the Tracker row people leave: answered when the rules were right, else
    re-routed (Department changed, Assigned By as the tool wrote it)."""
    route = CLASSIFIER.classify(record["text"], post_department=record.get("post_department"))
    right = route.department == record["department"]
    return {"Ticket ID": f"FB-{n}", "Comment": record["text"], "Department": record["department"],
            "Assigned By": route.assigned_by, "Status": "Replied" if right else "Assigned",
            "Replied By": "department desk" if right else ""}


def split(seed: int) -> tuple[list[dict], list[dict]]:
    rest = [r for r in RECORDS if r.get("set") != "holdout"]
    random.Random(seed).shuffle(rest)
    return [r for r in RECORDS if r.get("set") == "holdout"] + rest[:58], rest[58:]


def accuracy(router: CombinedRouter, held_out: list[dict]) -> float:
    return sum(router.classify(r["text"], post_department=r.get("post_department")).department == r["department"]
               for r in held_out) / len(held_out)


def test_examples_are_the_rows_people_confirmed() -> None:
    rows = [
        {"Ticket ID": "FB-1", "Comment": "kachra", "Department": "Roads", "Status": "Replied",
         "Replied By": "Roads desk", "Assigned By": "keyword: garbage"},  # answered: whatever the tool set
        {"Ticket ID": "FB-2", "Comment": "x", "Department": "Roads", "Status": "Replied",
         "Replied By": "on platform", "Assigned By": "keyword: pothole"},  # answered on the platform: no one
        {"Ticket ID": "FB-3", "Comment": "y", "Department": "Health", "Status": "Assigned",
         "Assigned By": "triage"},  # the tool set the Social Media Cell; a person moved it
        {"Ticket ID": "FB-4", "Comment": "z", "Department": "Garden", "Status": "Assigned",
         "Assigned By": "keyword: traffic; urgent: accident"},  # the tool set Traffic Planning
        {"Ticket ID": "FB-5", "Comment": "w", "Department": "Roads", "Status": "Assigned",
         "Assigned By": "keyword: pothole"},  # untouched: not confirmed by anyone
        {"Ticket ID": "FB-6", "Comment": "v", "Department": "Drainage", "Status": "Assigned",
         "Assigned By": "learned 0.81"},  # what the model set is unknown without the Audit
        {"Ticket ID": "FB-7", "Comment": "u", "Department": "Garden", "Status": "Assigned",
         "Assigned By": "post owner", "Post ID": "P1"},  # the post's owner was Projects
    ]
    found = examples_from_rows(rows, RULES, post_owners={"P1": "Projects"})
    assert [(e.text, e.department, e.source) for e in found] == [
        ("kachra", "Roads", "answered"), ("y", "Health", "corrected"), ("z", "Garden", "corrected"),
        ("u", "Garden", "corrected")]
    audit = tool_departments_from_audit([
        {"Job": "route", "Ticket ID": "FB-6", "Column": "Department", "New": "Water Supply"},
        {"Job": "route", "Ticket ID": "FB-5", "Column": "Assigned By", "New": "Health"},
        {"Job": "sla", "Ticket ID": "FB-5", "Column": "Department", "New": "Health"},
    ])
    assert audit == {"FB-6": "Water Supply"}
    with_audit = examples_from_rows(rows, RULES, tool_departments=audit)
    assert ("v", "Drainage", "corrected") in [(e.text, e.department, e.source) for e in with_audit]


def test_no_or_few_examples_route_exactly_as_the_rules() -> None:
    few = [Example(r["text"], r["department"], "answered") for r in RECORDS[: MIN_EXAMPLES - 1]]
    assert train([], RULES) is None and train(few, RULES) is None
    router = CombinedRouter(CLASSIFIER, None)
    for record in RECORDS:
        assert router.classify(record["text"]) == classify(record["text"], RULES)


@pytest.mark.parametrize("seed", [0, 1])
def test_corrections_never_cost_accuracy_on_unseen_comments(seed: int) -> None:
    held_out, pool = split(seed)
    rules_alone = accuracy(CombinedRouter(CLASSIFIER, None), held_out)
    figures = {}
    for size in (50, len(pool)):
        examples = examples_from_rows([sheet_row(r, n) for n, r in enumerate(pool[:size])], RULES)
        figures[size] = accuracy(CombinedRouter(CLASSIFIER, train(examples, RULES)), held_out)
    print(f"seed {seed}: rules {rules_alone:.0%}, combined {figures}")
    assert all(value >= rules_alone for value in figures.values())
    assert round(100 * figures[len(pool)]) >= round(100 * rules_alone) + 1  # measured: +1 to +3 points, 253 rows


def test_the_model_routes_what_the_rules_cannot_and_says_so() -> None:
    query = "Lasikaran shibir kadhi ahe Yerawada la?"
    assert classify(query, RULES).assigned_by == "triage"
    _, pool = split(0)
    examples = examples_from_rows([sheet_row(r, n) for n, r in enumerate(pool[:60])], RULES)
    examples += [Example(text, "Health", "corrected") for text in VACCINE]
    # Calibrated over 19 departments a new topic's probability stays near 0.33: below the default 0.4 the rules'
    # triage stands; a cell that trusts the model more lowers routing.model_threshold.
    assert CombinedRouter(CLASSIFIER, train(examples, RULES)).classify(query).assigned_by == "triage"
    route = CombinedRouter(CLASSIFIER, train(examples, RULES), MODEL_THRESHOLD).classify(query)
    assert route.department == "Health"
    assert route.assigned_by.startswith("learned 0.") and float(route.assigned_by.split()[1]) >= MODEL_THRESHOLD
    # A strong keyword still decides, with its keyword as the reason.
    strong = CombinedRouter(CLASSIFIER, train(examples, RULES)).classify("garbage not collected, lasikaran shibir")
    assert strong.assigned_by == "keyword: garbage"


def test_a_cycle_and_classify_from_sheet_use_the_learned_router(tmp_path, monkeypatch, capsys) -> None:
    from datetime import datetime

    from sheets_sync import cli, client
    from sheets_sync.demo.world import IST, World

    world = World.create(tmp_path, datetime(2026, 11, 23, 9, 0, tzinfo=IST))
    post = world.post("facebook", "notice")
    world.runner("A").cycle()  # init's tabs and headers
    sheet = world.worksheet("Tracker")
    headers = sheet.row_values(1)
    _, pool = split(0)
    rows = [sheet_row(r, n) for n, r in enumerate(pool[:40])]
    rows += [{"Ticket ID": f"FB-v{n}", "Comment": text, "Department": "Health", "Status": "Replied",
              "Replied By": "Health desk", "Assigned By": "triage"} for n, text in enumerate(VACCINE)]
    sheet.append_rows([[row.get(h, "") for h in headers] for row in rows], value_input_option="RAW")
    world.comment("facebook", post, "Lasikaran shibir kadhi ahe Yerawada la?", "Neha")
    runner = world.runner("A")
    routing = runner.config.routing.model_copy(update={"model_threshold": MODEL_THRESHOLD})
    runner.config = dataclasses.replace(runner.config, routing=routing)
    result = runner.cycle()
    assert result.counts["route"].get("learned") == 1, result.counts
    records = world.worksheet("Tracker").get_all_records()
    new = [r for r in records if r["Comment"].startswith("Lasikaran shibir kadhi")]
    assert new[0]["Department"] == "Health" and new[0]["Assigned By"].startswith("learned 0.")

    monkeypatch.setattr(client, "connect", lambda config: runner.backend)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "lasikaran kendra kuthe ahe Kothrud?"}\n'))
    assert cli._classify(runner.config) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["assigned_by"].startswith("learned 0.")
    assert "router learned from" in out.err


def test_accuracy_report_cross_validates_rules_model_and_combined() -> None:
    from sheets_sync.routing.accuracy import cross_validate

    examples = [Example(r["text"], r["department"], "answered") for r in RECORDS]
    figures = cross_validate(examples, RULES)
    assert set(figures) == {"rules", "model", "combined"}
    # measured: rules 92.6 %, model 83.6 %, combined 93.5 %
    assert figures["combined"] >= figures["rules"] and figures["model"] >= 0.8
