"""The runner's lease (``tracker.lease``): one holder whatever the timing, taken over only when expired, released
with the cycle's write — and a write whose lease was taken over is refused whole."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sheets_sync.client import AmbiguousWriteError
from sheets_sync.errors import LeaseLost
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.lease import LEASE_TAB
from sheets_sync.tracker.store import TrackerStore


def other_store(store: TrackerStore) -> TrackerStore:
    """A second runner's store on the same spreadsheet (its own lease view)."""
    return TrackerStore(store.backend, tz=store.tz, clock=store.clock)


def titles(store: TrackerStore) -> list[str]:
    return list(store.tabs_meta())


def test_of_runners_claiming_at_the_same_moment_exactly_one_holds(store):
    for attempt in range(5):
        stores = [other_store(store) for _ in range(3)]
        barrier = threading.Barrier(3, timeout=30)
        results: list[tuple[bool, str]] = []

        def claim(s: TrackerStore, name: str, barrier=barrier, results=results) -> None:
            barrier.wait()
            results.append(s.claim_lease(name, 10))

        threads = [threading.Thread(target=claim, args=(s, f"R{k}")) for k, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [name for held, name in results if held]
        assert len(winners) == 1, (attempt, results)
        assert {name for _, name in results} == set(winners)  # the losers are told who holds it
        next(s for s in stores if s.lease.held is not None).release_lease()
        assert LEASE_TAB not in titles(store)


def test_a_live_lease_blocks_and_an_expired_one_is_taken_over(store, clock):
    a, b = other_store(store), other_store(store)
    assert a.claim_lease("A", 10) == (True, "A")
    assert b.claim_lease("B", 10) == (False, "A")
    clock.advance(minutes=9)
    assert b.claim_lease("B", 10) == (False, "A")
    clock.advance(minutes=2)  # A died: its lease expired
    assert b.claim_lease("B", 10) == (True, "B")
    assert titles(store).count(LEASE_TAB) == 1
    assert b.lease.current().runner == "B"


def test_two_runners_replacing_the_same_expired_lease_cannot_both_win(store, clock, monkeypatch):
    a, b, c = other_store(store), other_store(store), other_store(store)
    a.claim_lease("A", 10)
    clock.advance(minutes=11)  # A died
    stale = c.lease.current()  # C reads A's expired lease...
    assert b.claim_lease("B", 10) == (True, "B")  # ...B replaces it first...
    reads = iter([stale])
    real_current = c.lease.current
    monkeypatch.setattr(c.lease, "current", lambda: next(reads, None) or real_current())
    # ...then C, still going by what it read, replaces A's tab by its sheetId: gone, so refused whole.
    assert c.claim_lease("C", 10) == (False, "B")
    assert titles(store).count(LEASE_TAB) == 1 and real_current().runner == "B"


def test_the_write_releases_the_lease_and_a_write_after_a_takeover_is_refused_whole(store, clock):
    a, b = other_store(store), other_store(store)
    assert a.claim_lease("A", 10)[0]
    changes = ChangeSet(store.schema)
    changes.set_state("note", "A's cycle")
    a.commit(changes, a.read([]), release_lease=True)
    assert LEASE_TAB not in titles(store) and a.lease.held is None
    assert a.read([]).state["note"] == "A's cycle"

    assert a.claim_lease("A", 10)[0]
    clock.advance(minutes=12)  # A's cycle overran its lease; B takes it over
    assert b.claim_lease("B", 10) == (True, "B")
    late = ChangeSet(store.schema)
    late.set_state("note", "A's late write")
    with pytest.raises(LeaseLost, match="lease.minutes"):
        a.commit(late, a.read([]), release_lease=True)
    assert a.read([]).state["note"] == "A's cycle"  # nothing of the late write landed
    assert b.lease.current().runner == "B"  # and B still holds its lease


def test_a_claim_whose_answer_was_lost_is_found_and_held(store, monkeypatch):
    a = other_store(store)
    real = a.http.batch_update

    def lands_then_no_answer(*args, **kwargs):
        monkeypatch.setattr(a.http, "batch_update", real)
        real(*args, **kwargs)
        raise AmbiguousWriteError("POST :batchUpdate: connection lost after sending")

    monkeypatch.setattr(a.http, "batch_update", lands_then_no_answer)
    assert a.claim_lease("A", 10) == (True, "A")
    assert a.lease.held == a.lease.current().sheet_id
    assert other_store(store).claim_lease("B", 10) == (False, "A")


def test_a_runner_replaces_its_own_old_lease_and_a_claim_after_a_release_succeeds(store, clock):
    a = other_store(store)
    assert a.claim_lease("A", 10)[0]
    first = a.lease.held
    clock.advance(minutes=5)  # the cycle died without releasing; the same runner claims again
    fresh = other_store(store)
    assert fresh.claim_lease("A", 10) == (True, "A")
    assert fresh.lease.held != first and fresh.lease.current().expires == clock.now + timedelta(minutes=10)
    fresh.release_lease()
    assert other_store(store).claim_lease("B", 10) == (True, "B")
