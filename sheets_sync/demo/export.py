"""Export tabs to .xlsx with openpyxl. Citizens' text is untrusted: a cell that starts with ``= + - @`` is
written as a string cell, so Excel or LibreOffice never evaluates it as a formula."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@")


def write_xlsx(tabs: dict[str, list[list[str]]], out: Path) -> None:
    """Write ``tabs`` (title → rows of text) to ``out`` atomically."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    book = Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title=title[:31])
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value == "":
                    continue
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str) and value.startswith(FORMULA_START):
                    # openpyxl would store "=..." as a formula; force a plain string cell.
                    cell.data_type = TYPE_STRING
        sheet.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".xlsx.tmp")
    os.close(fd)
    try:
        book.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the export is meant to be opened and shared
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
