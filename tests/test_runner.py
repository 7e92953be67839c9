"""The runner: one failing job does not stop the others; the lease; SIGTERM; the schedule."""

from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta

import pytest

from jobs import runner as runner_module
from sheets_sync.demo.world import IST, World

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path):
    w = World.create(tmp_path, START)
    post = w.post("facebook", "notice")
    w.comment("facebook", post, "Garbage not collected in Baner", "Neha")
    return w


def test_one_failing_job_is_logged_and_the_others_run(world, monkeypatch, caplog):
    def broken(ctx):
        raise RuntimeError("routing rules unreadable")

    monkeypatch.setitem(runner_module.CYCLE_JOBS, "route", runner_module.Job(broken, ("Tracker",)))
    result = world.runner("r").cycle()
    assert result.failed_jobs == ["route"]
    assert result.counts["ingest"]["facebook new"] == 1  # ingest ran and its rows were written
    assert "sla" in result.counts or "dashboard" in result.counts
    assert any("job route failed" in r.message for r in caplog.records)
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    assert len(table.key_rows) == 1


def test_a_live_lease_makes_a_second_runner_wait_and_a_stale_one_expires(world):
    first = world.runner("A")
    held, _ = first.store.claim_lease("A", 10)
    assert held
    result = world.runner("B").cycle()
    assert not result.ran and result.holder == "A" and "held by A" in result.summary()
    world.clock.advance(minutes=11)  # A died without releasing
    assert world.runner("B").cycle().ran


def test_lease_is_released_at_the_end_of_a_cycle(world):
    world.runner("A").cycle()
    state = world.runner("reader").store.read([]).state
    lease = json.loads(state["lease"])
    assert lease["runner"] == "A" and datetime.fromisoformat(lease["expires"]) < world.clock.now
    assert world.runner("B").cycle().ran  # no waiting


def test_sigterm_finishes_the_current_step_then_stops(world, monkeypatch):
    r = world.runner("A")
    ran: list[str] = []
    real_ingest = runner_module.CYCLE_JOBS["ingest"]

    def ingest_then_sigterm(ctx):
        real_ingest.run(ctx)
        ran.append("ingest")
        r._install_signals()
        signal.raise_signal(signal.SIGTERM)  # arrives mid-cycle

    monkeypatch.setitem(runner_module.CYCLE_JOBS, "ingest", runner_module.Job(ingest_then_sigterm, real_ingest.tabs))
    result = r.cycle()
    assert ran == ["ingest"] and r.stop_event.is_set()
    assert "route" not in result.counts  # later steps skipped
    # ... but what was done is written: the new comment is in the sheet.
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    assert len(table.key_rows) == 1


def test_run_forever_runs_a_cycle_and_stops(world):
    r = world.runner("A")
    r.run_forever(every_minutes=5, max_cycles=1)
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    assert len(table.key_rows) == 1


def test_unknown_job_is_named_before_anything_is_read(world):
    before = world.sheets.stats()["reads"]
    with pytest.raises(ValueError, match="unknown job .nope.; jobs: check, ingest, "):
        world.runner("A").cycle(["nope"])
    assert world.sheets.stats()["reads"] == before


def test_a_signed_webhook_event_triggers_a_cycle_at_once(world):
    import hashlib
    import hmac
    import threading

    import requests

    from sheets_sync.connectors.webhook import WebhookReceiver, serve_webhook_in_thread

    r = world.runner("A")
    receiver = WebhookReceiver(lambda events: r.wake_up(), env={"FB_APP_SECRET": "s3cret"})
    server, url = serve_webhook_in_thread(receiver, 0)
    thread = threading.Thread(target=r.run_forever, kwargs={"every_minutes": 60, "max_cycles": 2})
    thread.start()
    try:
        post = world.post("facebook", "another notice")
        comment = world.comment("facebook", post, "Streetlight not working in Aundh", "Ravi")
        body = ('{"object":"page","entry":[{"id":"104000000000001","changes":[{"field":"feed","value":'
                f'{{"item":"comment","verb":"add","comment_id":"{comment}","post_id":"{post}"}}}}]}}]}}').encode()
        signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        answer = requests.post(f"{url}/webhook", data=body, headers={"X-Hub-Signature-256": signature}, timeout=10)
        assert answer.status_code == 200
        thread.join(timeout=60)
        assert not thread.is_alive()  # the second cycle ran at once, not after the 60-minute tick
    finally:
        r.stop_event.set()
        r.wake_up()
        server.shutdown()
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    assert f"FB-{comment}" in table.key_rows


def test_job_status_on_demand_checks_now_whatever_the_throttle(world):
    world.runner("r1").cycle()  # ingests the comment
    world.clock.advance(minutes=5)
    world.runner("r1b").cycle()  # checks the platforms' comment states, and records when
    comment_id = world.runner("reader").store.read(["Tracker"])["Tracker"].column("Comment ID")[0]
    world.platforms.hide_comment(str(comment_id))
    world.clock.advance(minutes=5)

    def platform_status() -> str:
        table = world.runner("reader").store.read(["Tracker"])["Tracker"]
        return table.column("Platform Status")[0]

    world.runner("r2").cycle()
    assert platform_status() == "visible"  # throttled: checked at most every status_every_minutes
    world.runner("r3").cycle(["check", "status"], on_demand=True)  # `sheets-sync job status`
    assert platform_status() == "hidden"


def test_a_runner_waits_for_an_earlier_version_holding_the_lease_in_state(world):
    """Earlier versions kept the lease in a ``_state`` cell and do not see the ``_lease`` tab: while one is in
    its cycle (its claim's expiry ahead), this version skips its own and frees the tab at once."""
    reader = world.runner("reader")
    claim = {"runner": "old-version machine", "expires": (world.clock.now + timedelta(minutes=10)).isoformat()}
    reader.store.write_state({"lease": json.dumps(claim)})
    result = world.runner("A").cycle()
    assert not result.ran and result.holder == "old-version machine"
    assert "_lease" not in reader.store.tabs_meta()  # the claim this cycle made is released
    world.clock.advance(minutes=11)  # the old runner's lease expires (it finished, or died)
    assert world.runner("A").cycle().ran

