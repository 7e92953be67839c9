"""Conformance: gspread's recorded real Google traffic, replayed against the emulator.

Thresholds: at least 90% of all interactions and 100% of the values endpoints must match (status code and
body, ids and timestamps set aside). Skips when the shared cassettes are not available.
"""

from __future__ import annotations

import pytest

from sheets_sync.emulator.sheets.conformance import (
    default_cassette_dir,
    format_report,
    is_values_endpoint,
    run,
)


@pytest.fixture(scope="module")
def report():
    directory = default_cassette_dir()
    if not directory.is_dir() or not any(directory.glob("*.json")):
        pytest.skip(f"conformance cassettes not found at {directory} (set SHEETS_SYNC_CASSETTES)")
    return run(directory)


def test_conformance_thresholds(report, capsys) -> None:
    with capsys.disabled():
        print("\n" + format_report(report))
    matched, total = report.rate()
    values_matched, values_total = report.rate(lambda r: is_values_endpoint(r.endpoint))
    assert total > 2000  # the whole corpus was replayed
    assert values_total > 500
    assert values_matched == values_total, [r.detail for r in report.results
                                            if not r.ok and is_values_endpoint(r.endpoint)]
    assert matched >= 0.9 * total, f"{matched}/{total}"
