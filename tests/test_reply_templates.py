"""Reply templates: a template picked in the Tracker fills an empty Reply in the comment's language (English
when the language has none), placeholders filled; a Reply a person typed is never overwritten; nothing is posted
until Send is ticked. And the pure parts: choosing and rendering."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sheets_sync.demo.world import IST, World
from sheets_sync.reply_templates import Template, choose, default_template_rows, render, templates_from_rows
from sheets_sync.tracker.cells import as_text

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.create(tmp_path, START, quota_per_minute=0)


def rows(world: World) -> dict[str, dict]:
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    return {as_text(table.raw(n, "Comment ID")): table.record(n) for n in table.row_numbers()}


def pick(world: World, row: dict, template: str, reply: str | None = None) -> None:
    ws = world.worksheet()
    header = ws.row_values(1)
    ws.update_cell(row["_row"], header.index("Template") + 1, template)
    if reply is not None:
        ws.update_cell(row["_row"], header.index("Reply") + 1, reply)


def test_a_picked_template_fills_reply_in_the_comments_language(world: World) -> None:
    post = world.post("facebook", "पाणीपुरवठा")
    marathi = world.comment("facebook", post, "कोथरूड मध्ये आज पाणी आले नाही, टँकर पाठवा", "Priya")
    english = world.comment("facebook", post, "No water supply in Baner for two days", "Rahul")
    hindi = world.comment("facebook", post, "बाणेर में दो दिन से पानी नहीं आया", "Meera")
    world.runner("r").cycle()
    before = rows(world)
    typed = "We are checking — Water Supply desk"
    pick(world, before[marathi], "Forwarded to ward office")
    pick(world, before[english], "Resolved")
    pick(world, before[hindi], "Share exact location")
    world.clock.advance(minutes=5)
    result = world.runner("r").cycle()
    after = rows(world)
    mr = after[marathi]
    assert mr["Reply"].startswith("नमस्कार Priya") and mr["Ticket ID"] in mr["Reply"]
    assert "पाणीपुरवठा" in mr["Reply"]  # {department_mr}: the Departments tab's Marathi Name
    assert mr["Due By"].strftime("%d-%m-%Y %H:%M") in mr["Reply"]
    assert after[english]["Reply"].startswith("Hello Rahul, the issue you reported")
    assert "Water Supply department" in after[english]["Reply"]
    assert after[hindi]["Language"] == "hi" and after[hindi]["Reply"].startswith("नमस्ते Meera, कार्रवाई के लिए")
    assert {k: v for k, v in result.counts["templates"].items()} == {"filled (mr)": 1, "filled (en)": 1,
                                                                     "filled (hi)": 1}
    # Filled, not sent: Send was never ticked.
    assert not any(r["Reply ID"] for r in after.values()) and not world.platforms.replies("facebook")
    # A person's own text is never replaced, even with a template picked.
    world.worksheet().update_cell(after[english]["_row"], world.worksheet().row_values(1).index("Reply") + 1, typed)
    world.runner("r").cycle()
    assert rows(world)[english]["Reply"] == typed
    # Once Send is ticked the (edited) reply goes out.
    assert world.type_reply(mr["Ticket ID"], mr["Reply"])
    world.runner("r").cycle()
    assert rows(world)[marathi]["Status"] == "Replied"
    assert world.platforms.replies("facebook")[0].text == mr["Reply"]


def test_an_unknown_template_is_explained_on_the_row(world: World) -> None:
    post = world.post("instagram", "Gardens")
    comment = world.comment("instagram", post, "Garbage not collected in Baner", "Neha")
    world.runner("r").cycle()
    pick(world, rows(world)[comment], "Thanks a lot")
    world.runner("r").cycle()
    row = rows(world)[comment]
    assert row["Reply"] == "" and "'Thanks a lot' is not an active template" in row["Sync Notes"]


def test_every_default_template_has_the_three_languages_and_known_placeholders() -> None:
    templates, problems = templates_from_rows([dict(zip(("Name", "Department", "Language", "Text", "Active"),
                                                        map(str, r), strict=True)) for r in default_template_rows()])
    assert problems == []
    names = {t.name for t in templates}
    assert len(names) == 4
    values = dict.fromkeys(("ticket", "department", "department_mr", "author", "due_by"), "x")
    for name in names:
        assert {t.language for t in templates if t.name == name} == {"mr", "hi", "en"}
    for t in templates:
        assert render(t.text, values)[1] == []


ROADS_EN = Template("Resolved", "Roads", "en", "Roads: fixed")
ALL_EN = Template("Resolved", "", "en", "fixed")
ALL_MR = Template("Resolved", "", "mr", "दुरुस्त")


@pytest.mark.parametrize(("department", "language", "expected"), [
    ("Roads", "en", ROADS_EN),  # the department's own before the one for all
    ("Roads", "mr", ALL_MR),  # the comment's language before the department's own in English
    ("Water Supply", "hi", ALL_EN),  # no Hindi: English
    ("Water Supply", "mixed", ALL_EN),
])
def test_choose(department: str, language: str, expected: Template) -> None:
    assert choose([ROADS_EN, ALL_EN, ALL_MR], "resolved", department, language) == expected


def test_choose_none_and_render_unknown_placeholder() -> None:
    assert choose([ROADS_EN], "Resolved", "Water Supply", "en") is None
    assert render("Hi {author}, see {ward} {}", {"author": "A"}) == ("Hi A, see {ward} {}", ["{ward}", "{}"])


def test_bad_template_rows_are_named_and_skipped() -> None:
    templates, problems = templates_from_rows([
        {"Name": "Ok", "Language": "en", "Text": "fine", "Active": "TRUE"},
        {"Name": "No text", "Language": "en", "Text": "", "Active": "TRUE"},
        {"Name": "Bad lang", "Language": "fr", "Text": "bonjour", "Active": ""},
        {"Name": "Off", "Language": "en", "Text": "x", "Active": "FALSE"},
        {"Name": "Odd", "Language": "en", "Text": "x", "Active": "maybe"},
    ])
    assert [t.name for t in templates] == ["Ok"]
    assert [p.split(":")[0] for p in problems] == ["Templates row 3", "Templates row 4", "Templates row 6"]
