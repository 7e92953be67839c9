"""The reliability suite: faults, kills, people editing between read and write, two runners at once.

The short run is part of `make test`; the long one runs with `pytest --long` (its figures are in the README,
from `python bench/reliability.py`).
"""

import logging

import pytest

from sheets_sync.demo.reliability import run


@pytest.fixture(autouse=True)
def quiet():
    # Faulted cycles log errors by design; keep the test output readable.
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def test_short_run_keeps_every_invariant(tmp_path):
    report = run(cycles=25, seed=7, fault_rate=0.3, kill_rate=0.3, two_runner_rate=0.15, data_dir=tmp_path)
    summary = report.summary()
    assert report.violations == []
    # The run really was rough: faults, kills, people and a second runner all happened.
    assert summary["sheets_faults_injected"] > 10 and summary["platform_faults_injected"] > 10
    assert summary["kills"] >= 3 and summary["two_runner_starts"] >= 1
    assert summary["person_edits"] > 10 and summary["sorts"] >= 3
    # Replies typed on comments that were later deleted are refused (and explained in the row), never doubled.
    assert 0 < summary["replies_posted"] <= summary["replies_typed"]


@pytest.mark.long
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_run_keeps_every_invariant(tmp_path, seed):
    report = run(cycles=200, seed=seed, fault_rate=0.3, kill_rate=0.2, two_runner_rate=0.1, data_dir=tmp_path)
    assert report.violations == []


def test_instagram_comment_added_while_another_is_deleted_reaches_the_sheet(tmp_path):
    """The scenario the short run above hit about one run in ten, made deterministic: between two cycles one
    Instagram comment is deleted and another added, so the media's comments_count is unchanged; the new comment
    must still reach the sheet on the next cycle."""
    from datetime import datetime, timedelta

    from sheets_sync.demo.reliability import _TrackerView
    from sheets_sync.demo.world import IST, World
    from sheets_sync.tracker.cells import ticket_id

    world = World.create(tmp_path, datetime(2026, 11, 2, 9, 0, tzinfo=IST), platforms=("instagram",))
    media = world.post("instagram", "Ward 12 water supply")
    first = world.comment("instagram", media, "No water since Monday", "Asha")
    world.comment("instagram", media, "Same here", "Ravi")
    runner = world.runner("main")
    runner.cycle()
    world.platforms.delete_comment(first)
    world.clock.advance(minutes=5)
    added = world.comment("instagram", media, "Still no water", "Mina", world.clock.now - timedelta(minutes=1))
    runner.cycle()
    tickets = _TrackerView(world.worksheet().get_all_values()).tickets
    assert ticket_id("instagram", added) in tickets
