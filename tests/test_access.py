"""Access follows the Departments tab: the ``access`` job against the Sheets/Drive emulator, the planner's rules,
and the emulator's Drive permissions API (paging, fields, notifications, Google's refusals)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gspread.exceptions import APIError

from sheets_sync.access import LOG_STATE, AccessState, log_lines, wanted_writers
from sheets_sync.config import AccessConfig
from sheets_sync.demo.world import IST, World
from sheets_sync.emulator.sheets.drive_permissions import SharingPolicy, notifications

START = datetime(2026, 3, 2, 9, 0, tzinfo=IST)
DRIVE = "https://www.googleapis.com/drive/v3/files"
OWNER = "sheets-sync@emulator.local"  # the emulator's service account owns the sheet it created
DEPARTMENTS = [["Roads", "", "", "", "head.roads@pmc.gov.in, nodal.roads@pmc.gov.in", "", "TRUE"],
               ["Water Supply", "", "", "", "head.water@pmc.gov.in", "", "TRUE"],
               ["Health", "", "", "", "head.health@pmc.gov.in", "", "FALSE"]]
FIRST_WRITERS = {"head.roads@pmc.gov.in", "nodal.roads@pmc.gov.in", "head.water@pmc.gov.in", "cell@pmc.gov.in"}


def make_world(tmp_path: Path, **access: Any) -> World:
    world = World.create(tmp_path, START, quota_per_minute=0)
    settings = {"manage": True, "editors": ["cell@pmc.gov.in"], "max_removals_per_run": 2, **access}
    world.config = replace(world.config, access=AccessConfig.parse(settings))
    set_departments(world, DEPARTMENTS)
    # Shared by hand, before the tool ever ran: never the tool's to remove.
    world.person_client().insert_permission(world.backend.spreadsheet_id, "hand@pmc.gov.in", perm_type="user",
                                            role="writer", notify=False)
    return world


def set_departments(world: World, rows: list[list[str]]) -> None:
    ws = world.worksheet("Departments")
    ws.batch_clear(["A2:G"])
    if rows:
        ws.update(rows, "A2", raw=False)


def run(world: World) -> Any:
    world.clock.advance(days=1)
    return world.runner("r").cycle(["access"], on_demand=True)


def writers(world: World) -> dict[str, str]:
    return {p["emailAddress"]: p["role"] for p in world.person_client().list_permissions(world.backend.spreadsheet_id)}


def audit(world: World) -> list[list[str]]:
    return [row for row in world.worksheet("Audit").get_all_values() if row[1:2] == ["access"]
            and row[3] == "Edit access"]


def access_rows(world: World) -> dict[str, list[str]]:
    return {row[0]: row for row in world.worksheet("Access").get_all_values()[1:]}


def tick(world: World, addresses: list[str]) -> None:
    ws = world.worksheet("Access")
    for n, row in enumerate(ws.get_all_values(), start=1):
        if row[0] in addresses:
            ws.update_cell(n, 5, True)


def test_listed_addresses_become_writers_in_one_run(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    result = run(world)
    assert result.ok, result.problems
    shared = writers(world)
    assert {a for a, role in shared.items() if role == "writer"} == FIRST_WRITERS | {"hand@pmc.gov.in"}
    assert "head.health@pmc.gov.in" not in shared  # Health is inactive
    assert shared[OWNER] == "owner"
    # Every grant is in the Audit tab and on the Access tab; Drive notified each new editor (access.notify).
    assert sorted(r[2] for r in audit(world)) == sorted(FIRST_WRITERS)
    assert all(r[4:6] == ["", "writer"] for r in audit(world))
    rows = access_rows(world)
    assert set(rows) == FIRST_WRITERS and rows["head.water@pmc.gov.in"][1] == "Water Supply (Departments!E3)"
    book = world.sheets.books[world.backend.spreadsheet_id]
    assert set(notifications(book)) == FIRST_WRITERS
    # A second run changes nothing.
    assert run(world).counts.get("access", {}).get("granted", 0) == 0
    assert len(audit(world)) == len(FIRST_WRITERS)


def test_a_removed_address_and_an_inactive_department_lose_access(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    run(world)
    rows = [list(r) for r in DEPARTMENTS]
    rows[0][4] = "head.roads@pmc.gov.in"  # the nodal officer was transferred
    rows[1][6] = "FALSE"  # Water Supply switched off
    set_departments(world, rows)
    result = run(world)
    assert result.counts["access"]["removed"] == 2
    shared = writers(world)
    assert "nodal.roads@pmc.gov.in" not in shared and "head.water@pmc.gov.in" not in shared
    assert {"head.roads@pmc.gov.in", "cell@pmc.gov.in", "hand@pmc.gov.in", OWNER} <= set(shared)
    removed = [r for r in audit(world) if r[5] == "removed"]
    assert sorted(r[2] for r in removed) == ["head.water@pmc.gov.in", "nodal.roads@pmc.gov.in"]
    assert set(access_rows(world)) == {"head.roads@pmc.gov.in", "cell@pmc.gov.in"}


def test_owner_service_account_and_people_shared_by_hand_are_never_touched(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    # The owner and the hand-shared editor listed on the Departments tab: the tool adopts neither.
    set_departments(world, [["Roads", "", "", "", f"{OWNER}, hand@pmc.gov.in", "", "TRUE"]])
    run(world)
    assert "hand@pmc.gov.in" not in access_rows(world) and OWNER not in access_rows(world)
    set_departments(world, [])
    world.config = replace(world.config, access=AccessConfig.parse({"manage": True}))
    result = run(world)
    assert result.ok, result.problems
    assert writers(world) == {OWNER: "owner", "hand@pmc.gov.in": "writer"}
    # Only the cell's own editor (access.editors, then dropped from the config) was ever granted and removed.
    assert {r[2] for r in audit(world)} == {"cell@pmc.gov.in"}


def test_emptying_the_departments_tab_removes_nothing_unconfirmed_and_asks_the_cell(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    run(world)
    set_departments(world, [])  # an accident: four of the tool's grants would go, more than the limit of 2
    result = run(world)
    assert result.counts["access"].get("removed", 0) == 0 and result.counts["access"]["pending"] == 3
    assert any("max_removals_per_run (2)" in note for note in result.notes)
    assert FIRST_WRITERS <= set(writers(world))
    rows = access_rows(world)
    assert {a for a, r in rows.items() if r[2] == "Removal pending"} == FIRST_WRITERS - {"cell@pmc.gov.in"}
    # The cell confirms two of them: only those go; the third waits for its own tick.
    tick(world, ["nodal.roads@pmc.gov.in", "head.water@pmc.gov.in"])
    result = run(world)
    assert result.counts["access"]["removed"] == 2
    shared = writers(world)
    assert "nodal.roads@pmc.gov.in" not in shared and "head.water@pmc.gov.in" not in shared
    assert "head.roads@pmc.gov.in" in shared and access_rows(world)["head.roads@pmc.gov.in"][2] == "Removal pending"
    # Restoring the tab withdraws the request.
    set_departments(world, DEPARTMENTS)
    run(world)
    assert access_rows(world)["head.roads@pmc.gov.in"][2] == "Editor"
    assert FIRST_WRITERS <= set(writers(world))


def test_a_tick_made_before_the_question_does_not_confirm(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    run(world)
    tick(world, ["head.water@pmc.gov.in"])  # ticked while still an editor
    set_departments(world, [])
    run(world)
    run(world)
    assert "head.water@pmc.gov.in" in writers(world)


def test_drive_refusing_one_address_is_named_and_the_others_are_shared(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sheets.sharing_policy = SharingPolicy(allowed_domains=frozenset({"pmc.gov.in"}))
    rows = [list(r) for r in DEPARTMENTS]
    rows[1][4] = "head.water@gmail.com"
    set_departments(world, rows)
    result = run(world)
    assert any("head.water@gmail.com" in n and "domainPolicy" in n for n in result.notes)
    assert "head.water@gmail.com" not in writers(world)
    assert {"head.roads@pmc.gov.in", "nodal.roads@pmc.gov.in", "cell@pmc.gov.in"} <= set(writers(world))
    state = world.runner("x").store.read([]).state
    assert any("could not grant" in line for line in log_lines(state[LOG_STATE], START + timedelta(days=1)))


def test_manage_off_changes_nothing(tmp_path: Path) -> None:
    world = make_world(tmp_path, manage=False)
    result = run(world)
    assert any("access.manage is off" in n for n in result.notes)
    assert set(writers(world)) == {OWNER, "hand@pmc.gov.in"}


def test_wanted_writers_skips_placeholders_and_names_bad_cells() -> None:
    rows = [{"Department": "Roads", "Email": "head.roads@example.gov.in", "Active": True, "_row": 2},
            {"Department": "Water", "Email": "water@pmc.gov.in; not-an-address", "Active": None, "_row": 3},
            {"Department": "Old", "Email": "old@pmc.gov.in", "Active": False, "_row": 4}]
    wanted, notes = wanted_writers(rows, ["Cell@pmc.gov.in", "water@PMC.gov.in"])
    assert [(w.address, w.why) for w in wanted] == [("water@pmc.gov.in", "Water (Departments!E3)"),
                                                     ("Cell@pmc.gov.in", "access.editors")]
    assert any("Departments!E2" in n and "placeholder" in n for n in notes)
    assert any("Departments!E3" in n and "not-an-address" in n for n in notes)


def test_unreadable_state_grants_nothing_to_remove() -> None:
    assert AccessState.parse("{broken").granted == {}
    assert AccessState.parse('{"granted": {"a@pmc.gov.in": {"id": "1", "at": "x", "why": "y"}}}').find("A@pmc.gov.in")


# -- the emulator's Drive permissions ------------------------------------------------------------------------------

@pytest.fixture
def drive(tmp_path: Path) -> tuple[Any, Any, str]:
    from sheets_sync.client import make_client
    from sheets_sync.emulator.sheets import SheetsEmulator

    emu = SheetsEmulator(quota_per_minute=0)
    client = make_client(emu.session())
    return emu, emu.session(), client.create("Tracker").id


def test_permissions_list_pages_with_tokens_and_fields(drive: tuple[Any, Any, str]) -> None:
    emu, session, sid = drive
    for i in range(5):
        assert session.post(f"{DRIVE}/{sid}/permissions", params={"sendNotificationEmail": "false"},
                            json={"type": "user", "role": "writer", "emailAddress": f"u{i}@pmc.gov.in"}).ok
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 2, "fields": "nextPageToken,permissions(id,emailAddress,role)"}
        body = session.get(f"{DRIVE}/{sid}/permissions", params={**params, **({"pageToken": token} if token else {})})
        assert body.status_code == 200
        page = body.json()
        pages += 1
        assert all(set(p) == {"id", "emailAddress", "role"} for p in page["permissions"])
        seen += [p["emailAddress"] for p in page["permissions"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert pages == 3 and seen == [OWNER] + [f"u{i}@pmc.gov.in" for i in range(5)]
    whole = session.get(f"{DRIVE}/{sid}/permissions").json()
    assert "nextPageToken" not in whole and set(whole["permissions"][1]) == {"kind", "id", "type", "emailAddress",
                                                                                 "role"}
    bad = session.get(f"{DRIVE}/{sid}/permissions", params={"pageToken": "forged"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["location"] == "pageToken"
    assert session.get(f"{DRIVE}/{sid}/permissions", params={"pageSize": 101}).status_code == 400


def test_permissions_create_answers_as_drive(drive: tuple[Any, Any, str]) -> None:
    emu, session, sid = drive
    first = session.post(f"{DRIVE}/{sid}/permissions", json={"type": "user", "role": "reader",
                                                             "emailAddress": "a@pmc.gov.in"})
    assert first.status_code == 200 and set(first.json()) == {"kind", "id", "type", "role"}
    # Sharing again with the same person changes the role, keeps the id, and adds no second entry.
    again = session.post(f"{DRIVE}/{sid}/permissions", params={"sendNotificationEmail": "false"},
                         json={"type": "user", "role": "writer", "emailAddress": "A@pmc.gov.in"}).json()
    assert again["id"] == first.json()["id"] and again["role"] == "writer"
    assert notifications(emu.books[sid]) == {"a@pmc.gov.in": 1}
    bad = session.post(f"{DRIVE}/{sid}/permissions", json={"type": "user", "role": "writer",
                                                           "emailAddress": "not an address"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["reason"] == "invalid"
    emu.sharing_policy = SharingPolicy(allowed_domains=frozenset({"pmc.gov.in"}),
                                       no_account=frozenset({"new@pmc.gov.in"}))
    outside = session.post(f"{DRIVE}/{sid}/permissions", json={"type": "user", "role": "writer",
                                                               "emailAddress": "x@gmail.com"})
    assert outside.status_code == 403 and outside.json()["error"]["errors"][0]["reason"] == "domainPolicy"
    silent = session.post(f"{DRIVE}/{sid}/permissions", params={"sendNotificationEmail": "false"},
                          json={"type": "user", "role": "writer", "emailAddress": "new@pmc.gov.in"})
    assert silent.status_code == 400 and silent.json()["error"]["errors"][0]["reason"] == "invalidSharingRequest"
    owner = session.post(f"{DRIVE}/{sid}/permissions", json={"type": "user", "role": "owner",
                                                             "emailAddress": "a@pmc.gov.in"})
    assert owner.status_code == 403


def test_permissions_delete_refuses_the_owner_and_unknown_ids(drive: tuple[Any, Any, str]) -> None:
    emu, session, sid = drive
    listed = session.get(f"{DRIVE}/{sid}/permissions").json()["permissions"]
    owner_id = next(p["id"] for p in listed if p["role"] == "owner")
    refused = session.delete(f"{DRIVE}/{sid}/permissions/{owner_id}")
    assert refused.status_code == 403 and refused.json()["error"]["errors"][0]["reason"] == "cannotRemoveOwner"
    pid = session.post(f"{DRIVE}/{sid}/permissions", json={"type": "user", "role": "writer",
                                                           "emailAddress": "a@pmc.gov.in"}).json()["id"]
    assert session.delete(f"{DRIVE}/{sid}/permissions/{pid}").status_code == 204
    gone = session.delete(f"{DRIVE}/{sid}/permissions/{pid}")
    assert gone.status_code == 404 and gone.json()["error"]["errors"][0]["reason"] == "notFound"


def test_gspread_share_list_and_remove_work_against_the_emulator(drive: tuple[Any, Any, str]) -> None:
    from sheets_sync.client import make_client

    emu, session, sid = drive
    client = make_client(session)
    client.insert_permission(sid, "a@pmc.gov.in", perm_type="user", role="writer", notify=False)
    listed = client.list_permissions(sid)
    assert [p["emailAddress"] for p in listed] == [OWNER, "a@pmc.gov.in"]
    client.remove_permission(sid, listed[1]["id"])
    assert [p["emailAddress"] for p in client.list_permissions(sid)] == [OWNER]
    with pytest.raises(APIError):
        client.remove_permission(sid, listed[0]["id"])


def test_doctor_lists_editors_and_the_difference_and_the_digest_tells_the_cell(tmp_path: Path) -> None:
    from sheets_sync.access import digest_section
    from sheets_sync.doctor import check_editors

    world = make_world(tmp_path)
    store = world.runner("d").store
    before = check_editors(world.config, store)
    assert before.status == "warn" and "listed but not editors: cell@pmc.gov.in" in before.detail
    assert "hand@pmc.gov.in" in before.detail
    run(world)
    after = check_editors(world.config, store)
    assert after.status == "ok" and all(a in after.detail for a in FIRST_WRITERS)
    state = store.read([]).state
    section = digest_section(state[LOG_STATE], START + timedelta(days=1, hours=1))
    assert section is not None and len(section.bullets) == len(FIRST_WRITERS)
    assert digest_section(state[LOG_STATE], START + timedelta(days=3)) is None
