"""The sla job over the sheet: a Reply Hours cell people mistyped is named, and deadlines still come."""

from datetime import datetime, timedelta

from sheets_sync.demo.world import IST, World


def test_bad_reply_hours_is_named_and_the_default_applies(tmp_path):
    world = World.create(tmp_path, datetime(2026, 11, 23, 9, 0, tzinfo=IST))
    ws = world.worksheet("Departments")
    header = ws.row_values(1)
    names = ws.col_values(header.index("Department") + 1)
    row = names.index("Water Supply") + 1
    ws.update_cell(row, header.index("Reply Hours") + 1, "two days")
    post = world.post("facebook", "notice")
    world.comment("facebook", post, "कोथरूड मध्ये पाणी आले नाही", "Priya")
    result = world.runner("r").cycle()
    assert not result.failed_jobs
    letter = chr(65 + header.index("Reply Hours"))
    assert any(n.startswith(f"Departments!{letter}{row} (Reply Hours of Water Supply): Reply Hours 'two days'")
               for n in result.notes), result.notes
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    [n] = table.row_numbers()
    assert table.typed(n, "Department") == "Water Supply"
    due, received = table.typed(n, "Due By"), table.typed(n, "Received At")
    assert due - received == timedelta(hours=24)  # a complaint's default
    assert ws.cell(row, header.index("Reply Hours") + 1).value == "two days"  # the person's cell is untouched
