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
