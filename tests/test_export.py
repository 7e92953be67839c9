"""The .xlsx export keeps citizens' formula-looking text as text."""

from openpyxl import load_workbook

from sheets_sync.demo.export import write_xlsx


def test_formula_looking_text_is_exported_as_text(tmp_path):
    out = tmp_path / "t.xlsx"
    rows = [["Ticket ID", "Comment"], ["FB-1", '=HYPERLINK("http://evil.example","click")'], ["FB-2", "+91 98"],
            ["FB-3", "@PMCPune पाणी नाही"], ["FB-4", "-5 stars"]]
    write_xlsx({"Tracker": rows}, out)
    sheet = load_workbook(out)["Tracker"]
    for r, (_, text) in enumerate(rows[1:], start=2):
        cell = sheet.cell(row=r, column=2)
        assert cell.value == text and cell.data_type == "s"
    assert sheet.freeze_panes == "A2"
