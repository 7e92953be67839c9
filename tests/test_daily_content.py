"""The content calendar end to end in a World: late and unapproved requests are flagged in the Content tab (and
highlighted), appear in their department's digest, and a published request's post routes its comments to the
requesting department."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest

from jobs.daily import run_digest
from sheets_sync.client import make_client
from sheets_sync.config import DigestConfig
from sheets_sync.demo.world import IST, World

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)  # a Monday
LATE = "the order asks for at least 7 days"
UNAPPROVED = "not approved yet"
HEADER = ["Title", "Department", "Type", "Publish On", "Material Link", "Submitted At", "Approved By", "Status",
          "Post IDs"]
# (Title, Department, Type, Publish On, Submitted At, Approved By, Status) → the flags expected today
REQUESTS: list[tuple[tuple[str, str, str, str, str, str, str], set[str]]] = [
    (("Water tax amnesty scheme", "Water Supply", "Scheme", "2026-12-10", "2026-11-20 10:00", "Head, Water Supply",
      "Approved"), set()),
    (("Karve Road closure notice", "Roads", "Notice", "2026-11-27", "2026-11-23 08:00", "Head, Roads", "Approved"),
     {LATE}),
    (("Dengue awareness video", "Health", "Video Script", "2026-11-24", "2026-11-10 11:00", "", "Designing"),
     {UNAPPROVED}),
    (("Swachh survey press note", "Solid Waste Management", "Press Note", "2026-11-25", "2026-11-22 17:00", "",
      "Requested"), {LATE, UNAPPROVED}),
    (("Ward sabha photos", "Garden", "Photo", "2026-11-24", "2026-11-23 08:30", "", "Published"), set()),
    (("Exactly seven days", "Projects", "Project", "2026-11-30", "2026-11-23 00:05", "Head, Projects", "Approved"),
     set()),
]


def content_rows(world: World) -> dict[str, dict[str, str]]:
    values = world.worksheet("Content").get_all_values()
    header = values[0]
    return {row[0]: dict(zip(header, row, strict=False)) for row in values[1:] if row and row[0]}


def add_requests(world: World, rows: list[list[str]]) -> None:
    world.worksheet("Content").append_rows(rows, value_input_option="RAW", table_range="A1")


def set_emails(world: World, emails: dict[str, str]) -> None:
    world.set_emails(emails)


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World.create(tmp_path, START, quota_per_minute=0)  # quotas are not under test: no 429 waits
    world.config = replace(world.config, digest=DigestConfig.parse({"folder": str(tmp_path / "digests"),
                                                                     "cell_email": "cell@pmc.example"}))
    return world


def test_late_and_unapproved_requests_are_flagged_highlighted_and_in_the_digest(world: World) -> None:
    add_requests(world, [[title, dept, kind, publish, "https://drive.google.com/x", submitted, approved, status, ""]
                         for (title, dept, kind, publish, submitted, approved, status), _ in REQUESTS])
    world.runner("r1").cycle()
    rows = content_rows(world)
    for (title, *_), flags in REQUESTS:
        text = rows[title]["Flags"]
        assert {f for f in (LATE, UNAPPROVED) if f in text} == flags, (title, text)

    # Init highlights flagged rows: a conditional format on the Content tab keyed on the Flags column.
    http = make_client(world.sheets.session()).http_client
    meta = http.fetch_sheet_metadata(world.backend.spreadsheet_id,
                                     params={"fields": "sheets(properties(title),conditionalFormats)"})
    [content] = [s for s in meta["sheets"] if s["properties"]["title"] == "Content"]
    flags_letter = chr(ord("A") + world.worksheet("Content").row_values(1).index("Flags"))
    formulas = [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in content["conditionalFormats"]]
    assert f'=${flags_letter}2<>""' in formulas

    # The flags reach the requesting departments' digests (even a department with no open comments).
    set_emails(world, {"Health": "health.head@pmc.example", "Solid Waste Management": "swm.head@pmc.example"})
    run_digest(world.runner("digest"))
    folder = Path(world.config.digest.folder)
    for name, title, slug in (("Health", "Dengue awareness video", "health"),
                              ("Solid Waste Management", "Swachh survey press note", "solid-waste-management")):
        message = message_from_bytes((folder / f"2026-11-23-{slug}.eml").read_bytes(), policy=email_policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "पोस्ट नियोजन / Content calendar" in text and title in text, name
    cell = message_from_bytes((folder / "2026-11-23-cell.eml").read_bytes(), policy=email_policy.default)
    assert "Karve Road closure notice" in cell.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # Fixed by the department: the flag is cleared at the next cycle.
    ws = world.worksheet("Content")
    row = ws.col_values(1).index("Dengue awareness video") + 1
    ws.update_cell(row, HEADER.index("Approved By") + 1, "Head, Health")
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()
    assert content_rows(world)["Dengue awareness video"]["Flags"] == ""


def tracker_by_comment(world: World) -> dict[str, dict[str, str]]:
    values = world.worksheet().get_all_values()
    header = values[0]
    return {r[header.index("Comment ID")]: dict(zip(header, r, strict=False)) for r in values[1:] if r and r[0]}


def posts_rows(world: World) -> list[dict[str, str]]:
    values = world.worksheet("Posts").get_all_values()
    return [dict(zip(values[0], r, strict=False)) for r in values[1:] if any(r)]


def test_a_published_requests_comments_route_to_its_department(world: World) -> None:
    # Post A: published and recorded in the Content tab; its first comment arrives in the same cycle that
    # first sees the request (ingest and content would both register the post: it must be there once).
    post_a = world.post("facebook", "Tree plantation drive at Empress Garden 🌳")
    add_requests(world, [["Tree plantation drive", "Garden", "Photo", "2026-11-22", "", "2026-11-10 10:00",
                          "Head, Garden", "Published", f"facebook:{post_a}"]])
    on_a = world.comment("facebook", post_a, "Wonderful event, thank you 👏", "Priya")  # no keyword
    # Post B: commented on before its Post IDs are filled in (it enters the register without a department).
    post_b = world.post("facebook", "Heritage walk this Sunday")
    early = world.comment("facebook", post_b, "Great initiative!", "Asha")
    world.runner("r1").cycle()
    assert tracker_by_comment(world)[early]["Assigned By"] == "triage; category: Remark"  # the tool's category

    keyword_on_a = world.comment("facebook", post_a, "No water supply in Kothrud for two days", "Ravi")
    add_requests(world, [["Heritage walk", "Projects", "Notice", "2026-11-29", "", "2026-11-12 10:00",
                          "Head, Projects", "Published", f"fb:{post_b}"]])
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()
    world.clock.advance(minutes=5)
    later_on_b = world.comment("facebook", post_b, "Beautiful pictures, well done team", "Neel")
    world.runner("r3").cycle()

    rows = tracker_by_comment(world)
    assert (rows[on_a]["Department"], rows[on_a]["Assigned By"].split(";")[0]) == ("Garden", "post owner")
    assert rows[keyword_on_a]["Department"] == "Water Supply"  # a keyword still wins over the post's owner
    assert (rows[later_on_b]["Department"], rows[later_on_b]["Assigned By"].split(";")[0]) == ("Projects",
                                                                                               "post owner")
    assert rows[early]["Department"] == "Social Media Cell"  # routed before: a person's (or triage's) call stands

    # The register holds each post once, with the requesting department.
    register: dict[str, list[dict[str, Any]]] = {}
    for row in posts_rows(world):
        register.setdefault(row["Post ID"], []).append(row)
    assert [r["Department"] for r in register[post_a]] == ["Garden"]
    assert [r["Department"] for r in register[post_b]] == ["Projects"]
