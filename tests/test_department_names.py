"""Department names as the Pune Municipal Corporation writes them (issue 19).

The shipped Marathi names end in विभाग, शाखा, दल or कक्ष; a fresh ``init`` seeds them; ``init`` on a sheet seeded
by an earlier release replaces a Marathi Name that still reads the old default for its Department, leaves a name
a person changed as it is, and a second run writes nothing. Everything runs against the embedded Sheets emulator;
people edit through gspread. No sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from sheets_sync.routing import load_default_departments
from sheets_sync.schema import load_schema
from sheets_sync.tracker.init import previous_marathi_names, run_init

SCHEMA = load_schema()
HEADERS = SCHEMA["Departments"].headers
DEFAULTS = load_default_departments()
CURRENT = {row["Department"]: row["Marathi Name"] for row in DEFAULTS}
RENAMES = previous_marathi_names()
OLD = {department: old for (department, old) in RENAMES}  # one old default per department today
ENDINGS = ("विभाग", "शाखा", "दल", "कक्ष")

# The corporation's names (its press notes and orders), one per default Department.
EXPECTED = {
    "Solid Waste Management": "घनकचरा व्यवस्थापन विभाग",
    "Water Supply": "पाणीपुरवठा विभाग",
    "Drainage": "मलनिस्सारण विभाग",
    "Roads": "पथ विभाग",
    "Electrical": "विद्युत विभाग",
    "Health": "आरोग्य विभाग",
    "Encroachment": "अतिक्रमण / अनधिकृत बांधकाम निर्मूलन विभाग",
    "Building Permission": "बांधकाम विकास विभाग",
    "Property Tax": "मिळकतकर विभाग",
    "Garden": "उद्यान विभाग",
    "Veterinary": "पशुवैद्यकीय विभाग",
    "Birth and Death Registration": "जन्म-मृत्यू नोंदणी विभाग",
    "Education": "शिक्षण विभाग",
    "Fire Brigade": "अग्निशमन दल",
    "Elections": "निवडणूक शाखा",
    "Disaster Management": "आपत्ती व्यवस्थापन विभाग",
    "Traffic Planning": "वाहतूक नियोजन विभाग",
    "Projects": "प्रकल्प विभाग",
    "Social Media Cell": "समाज माध्यम कक्ष",
}


def departments_tab(store) -> Any:
    return store.backend.client.open_by_key(store.spreadsheet_id).worksheet("Departments")


def writes(emu) -> int:
    return emu.stats()["writes"]


def marathi_by_department(ws) -> dict[str, str]:
    values = ws.get_all_values()
    header = values[0]
    dept, name = header.index("Department"), header.index("Marathi Name")
    return {row[dept]: row[name] for row in values[1:] if len(row) > name}


def assert_second_init_writes_nothing(store, emu) -> None:
    before = writes(emu)
    report = run_init(store)
    assert not report.changed, report.actions
    assert writes(emu) == before


# --- the defaults -----------------------------------------------------------------------------


@pytest.mark.parametrize("row", DEFAULTS, ids=[row["Department"] for row in DEFAULTS])
def test_every_default_marathi_name_is_the_corporations(row):
    name = row["Marathi Name"]
    assert name.endswith(ENDINGS), name
    assert name == EXPECTED[row["Department"]]
    assert "(" not in name and name == name.strip()  # no "Drainage (मलनिस्सारण (ड्रेनेज))" in titles


def test_english_department_keys_are_unchanged():
    assert [row["Department"] for row in DEFAULTS] == list(EXPECTED)


@pytest.mark.parametrize("pair", sorted(RENAMES), ids=[d for d, _ in sorted(RENAMES)])
def test_each_old_default_names_a_default_department_and_is_no_current_name(pair):
    department, old = pair
    assert department in CURRENT and RENAMES[pair] == CURRENT[department] != old
    assert old not in CURRENT.values()  # so a migrated sheet is never migrated again


# --- init ---------------------------------------------------------------------------------------


def test_a_fresh_init_seeds_the_corporations_names(store, sheets_emulator):
    ws = departments_tab(store)
    assert ws.row_values(1)[: len(HEADERS)] == HEADERS
    assert marathi_by_department(ws) == EXPECTED
    assert_second_init_writes_nothing(store, sheets_emulator)


# (Department, the Marathi Name in the sheet before init, what init must leave there)
MIGRATION = [
    pytest.param("Drainage", "मलनिस्सारण (ड्रेनेज)", "मलनिस्सारण विभाग", id="old-default-drainage"),
    pytest.param("Roads", "पथ", "पथ विभाग", id="old-default-roads"),
    pytest.param("Building Permission", "बांधकाम परवानगी", "बांधकाम विकास विभाग", id="old-default-building"),
    pytest.param("Encroachment", "अतिक्रमण", "अतिक्रमण / अनधिकृत बांधकाम निर्मूलन विभाग", id="old-default-encroach"),
    pytest.param("Elections", "निवडणूक", "निवडणूक शाखा", id="old-default-elections"),
    pytest.param("Water Supply", "पाणी पुरवठा विभाग", "पाणी पुरवठा विभाग", id="person-changed"),
    pytest.param("Health", "आरोग्य ", "आरोग्य ", id="person-changed-trailing-space"),
    pytest.param("Garden", "", "", id="person-cleared"),
    pytest.param("Property Tax", "पथ", "पथ", id="another-departments-old-default"),
    pytest.param("Fire Brigade", "अग्निशमन दल", "अग्निशमन दल", id="unchanged-default"),
]


def _set_marathi_names(ws, names: dict[str, str]) -> None:
    values = ws.get_all_values()
    header = values[0]
    dept, name = header.index("Department"), header.index("Marathi Name")
    for row in values[1:]:
        if row[dept] in names:
            row[name] = names[row[dept]]
    ws.update(values, "A1", raw=True)


@pytest.mark.parametrize("department, before, after", MIGRATION)
def test_init_migrates_old_defaults_and_keeps_a_persons_name(store, sheets_emulator, department, before, after):
    ws = departments_tab(store)
    # A sheet seeded by the earlier release: every Marathi Name the old default, then this row as the case says.
    _set_marathi_names(ws, {**OLD, department: before})

    report = run_init(store)

    names = marathi_by_department(ws)
    assert names[department] == after
    for other in OLD:
        if other != department:
            assert names[other] == CURRENT[other], other
    migrated = [a for a in report.actions if a.startswith("Departments: Marathi Name")]
    assert len(migrated) == len(OLD) - (department in OLD and before != OLD[department]), report.actions
    assert_second_init_writes_nothing(store, sheets_emulator)
    assert marathi_by_department(ws)[department] == after


def test_a_renamed_english_department_keeps_its_marathi_name(store, sheets_emulator):
    ws = departments_tab(store)
    ws.update([["Roads & Bridges", "पथ"]], "A5", raw=True)  # row 5 is Roads
    assert ws.row_values(5)[:2] == ["Roads & Bridges", "पथ"]
    report = run_init(store)  # adds the filter views of the new name, nothing else
    assert not [a for a in report.actions if "Marathi Name" in a], report.actions
    assert ws.row_values(5)[:2] == ["Roads & Bridges", "पथ"]
    assert_second_init_writes_nothing(store, sheets_emulator)


def test_init_migrates_when_a_person_moved_the_columns(store, sheets_emulator):
    ws = departments_tab(store)
    values = ws.get_all_values()
    header = values[0]
    # The person put Marathi Name first and an extra column of their own after it.
    order = [header.index("Marathi Name"), header.index("Department")] + [
        i for i, h in enumerate(header) if h not in ("Marathi Name", "Department")]
    moved = [[row[i] for i in order][:1] + ["note"] + [row[i] for i in order][1:] for row in values]
    moved[0][1] = "Remarks (ours)"
    for row in moved[1:]:
        row[0] = OLD.get(row[2], row[0])
    ws.clear()
    ws.update(moved, "A1", raw=True)

    run_init(store)

    assert marathi_by_department(ws) == EXPECTED
    assert [row[1] for row in ws.get_all_values()[1:]] == ["note"] * len(DEFAULTS)
    assert_second_init_writes_nothing(store, sheets_emulator)
