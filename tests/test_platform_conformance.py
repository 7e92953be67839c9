"""Conformance: real platform responses (tweepy, python-youtube, python-facebook fixtures) against the emulator.

Every key path of each recorded response must be in the emulator's answer to the same question, with the same
JSON type. The figures may only go up: a regression in shape fails here. Skips when the shared recordings are
not available (``../shared/conformance/platform-recordings`` or ``$SHEETS_SYNC_PLATFORM_RECORDINGS``).
"""

from __future__ import annotations

import pytest

from sheets_sync.emulator.platforms.conformance import (
    DELIBERATELY_UNSUPPORTED,
    default_recordings_dir,
    figures,
    format_report,
    in_scope_figures,
    run,
    shape_problems,
)

# Reached when the check was written; raise these when the emulator gets closer, never lower them.
MINIMUM = {"graph": (17, 49), "youtube": (22, 23), "x": (9, 11)}


@pytest.fixture(scope="module")
def results():
    directory = default_recordings_dir()
    if not directory.is_dir() or not any(directory.iterdir()):
        pytest.skip(f"platform recordings not found at {directory} (set SHEETS_SYNC_PLATFORM_RECORDINGS)")
    return run(directory)


def test_platform_conformance_does_not_regress(results, capsys) -> None:
    with capsys.disabled():
        print("\n" + format_report(results))
    got = figures(results)
    for platform, (minimum, total) in MINIMUM.items():
        ok, seen = got[platform]
        assert seen >= total, f"{platform}: only {seen} recordings compared (expected {total})"
        assert ok >= minimum, (platform, ok, [(r.name, r.problems) for r in results
                                              if r.platform == platform and not r.ok])


def test_every_recording_in_scope_conforms(results) -> None:
    for platform, (ok, total) in in_scope_figures(results).items():
        assert ok == total, (platform, [(r.name, r.problems) for r in results
                                        if r.platform == platform and not r.ok
                                        and r.name not in DELIBERATELY_UNSUPPORTED])


def test_shape_check_catches_missing_paths_and_types() -> None:
    recorded = {"data": [{"id": "1", "n": 2}], "paging": {"cursors": {"after": "a"}, "next": "u"}}
    assert shape_problems(recorded, {"data": [{"id": "9", "n": 5, "extra": True}],
                                     "paging": {"cursors": {"after": "b", "before": "c"}, "next": "v"}}) == []
    problems = shape_problems(recorded, {"data": [{"id": 9}], "paging": {"cursors": {"after": "b"}}})
    assert "$.data[].id: number != recorded string" in problems
    assert "$.data[].n: missing" in problems and "$.paging.next: missing" in problems
    # ``{id: object}`` answers compare by shape whatever the ids are
    assert shape_problems({"a": {"id": "a"}}, {"b": {"id": "b"}}, id_keyed=True) == []
