"""The architecture, checked: dependencies run one way, and every Sheets/Drive request leaves from the tracker
layer. Read from the source (``ast``), so a new module that breaks a rule fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "sheets_sync"
JOBS = ROOT / "jobs"
# The one module of sheets_sync that may import jobs: it wires config to a runner for the CLI and the demo.
ENTRY = LIBRARY / "app.py"
# Calls that send a Sheets or Drive request through gspread's client or its HTTP client.
REQUESTS = {"fetch_sheet_metadata", "values_get", "values_batch_get", "values_update", "values_append",
            "batch_update", "list_permissions", "insert_permission", "list_spreadsheet_files", "create",
            "open_by_key", "request"}
# Where requests may be sent from: the tracker layer, the client factory and the emulators (which serve them).
# The demo plays the *people* who edit the sheet, through gspread as they would: not the tool's requests.
MAY_SEND = ("sheets_sync/tracker/", "sheets_sync/client.py", "sheets_sync/emulator/", "sheets_sync/demo/")


def modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if ".venv" not in p.parts)


def imported(path: Path) -> set[str]:
    """Top-level package names a module imports (relative imports resolve inside its own package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_entry_module_of_the_library_imports_jobs() -> None:
    crossing = [str(p.relative_to(ROOT)) for p in modules(LIBRARY) if "jobs" in imported(p)]
    assert crossing == [str(ENTRY.relative_to(ROOT))]


def request_sites(source: str) -> list[str]:
    """Where a module reaches for gspread's client or HTTP client, or calls a request method on them."""
    sites = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("http", "http_client", "client"):
            sites.append(f"line {node.lineno}: .{node.attr}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REQUESTS
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in ("http", "client")):
            sites.append(f"line {node.lineno}: {node.func.attr}()")
    return sites


@pytest.mark.parametrize("path", modules(JOBS) + [p for p in modules(LIBRARY)
                                                 if not str(p.relative_to(ROOT)).startswith(MAY_SEND)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_requests_leave_only_from_the_tracker_layer(path: Path) -> None:
    """No job and no library module outside the tracker layer reaches for gspread's client or HTTP client."""
    assert request_sites(path.read_text(encoding="utf-8")) == []


def test_the_rule_catches_a_job_that_sends_a_request() -> None:
    """The check above can fail: a job calling the store's HTTP client is found."""
    job = "def run(ctx):\n    ctx.work.store.http.batch_update('id', {})\n"
    assert sorted(request_sites(job)) == ["line 2: .http", "line 2: batch_update()"]
