"""The command line: emulator servers, init/run/job against them, classify, doctor, and the docs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sheets_sync.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sheets_sync.cli", "emulator", *args, "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, json.loads(line)["url"]


@pytest.fixture
def servers(tmp_path):
    sheets, sheets_url = start("sheets", "--data", str(tmp_path / "sheets-data"))
    platforms, platforms_url = start("platforms", "--data", str(tmp_path / "platform-data"))
    yield sheets_url, platforms_url
    for proc in (sheets, platforms):
        proc.terminate()
        proc.wait(timeout=20)


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sheets_sync.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_init_run_and_job_against_emulator_servers(tmp_path, servers):
    import requests

    sheets_url, platforms_url = servers
    # A spreadsheet on the served emulator, found through spreadsheet.endpoint as Google's would be by id.
    from sheets_sync.client import endpoint_session, make_client

    spreadsheet = make_client(endpoint_session(sheets_url)).create("PMC tracker")
    post = requests.post(f"{platforms_url}/_emulator/posts",
                         json={"platform": "facebook", "account_id": "1040001", "text": "Water notice"}).json()
    requests.post(f"{platforms_url}/_emulator/comments", json={
        "platform": "facebook", "post_id": post["id"], "text": "कोथरूड मध्ये पाणी नाही",
        "author": {"id": "u1", "name": "Priya"}}).raise_for_status()
    config = tmp_path / "conf.yaml"
    config.write_text(
        f"spreadsheet:\n  id: {spreadsheet.id}\n  endpoint: {sheets_url}\n"
        f"platforms:\n  - kind: facebook\n    page_id: '1040001'\n    token_env: FB_TOKEN\n"
        f"    endpoint: {platforms_url}\n", encoding="utf-8")
    env = {"FB_TOKEN": "test-token"}
    first = cli("init", "--config", str(config), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "changes to spreadsheet" in first.stdout
    again = cli("init", "--config", str(config), cwd=tmp_path, env=env)
    assert "nothing written" in again.stdout
    run = cli("run", "--once", "--config", str(config), cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert "facebook new 1" in run.stdout and "Sheets requests 4 (2 reads, 2 writes)" in run.stdout  # the lease is one of the writes
    values = make_client(endpoint_session(sheets_url)).open_by_key(spreadsheet.id).worksheet("Tracker").get_all_records()
    assert [r["Department"] for r in values] == ["Water Supply"]
    job = cli("job", "route", "--config", str(config), cwd=tmp_path, env=env)
    assert job.returncode == 0, job.stderr
    stats = requests.get(f"{platforms_url}/_emulator/stats").json()
    assert stats


def test_config_is_taken_from_env_then_cwd(tmp_path, servers):
    sheets_url, _ = servers
    from sheets_sync.client import endpoint_session, make_client

    sid = make_client(endpoint_session(sheets_url)).create("t").id
    (tmp_path / "sheets-sync.yaml").write_text(f"spreadsheet: {{id: {sid}, endpoint: '{sheets_url}'}}\n")
    assert cli("init", cwd=tmp_path).returncode == 0
    bad = tmp_path / "elsewhere.yaml"
    bad.write_text("spreadsheet: {idd: x}\n")
    out = cli("init", cwd=tmp_path, env={"SHEETS_SYNC_CONFIG": str(bad)})
    assert out.returncode == 2 and "Did you mean `id`" in out.stderr and "Traceback" not in out.stderr


def test_classify_reads_json_lines(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "Garbage not collected in Baner"}\nnot json\n'))
    assert main(["classify"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["department"] == "Solid Waste Management" and lines[0]["assigned_by"].startswith("keyword:")
    assert "error" in lines[1] and "line 2" in lines[1]["error"]


def test_doctor_on_embedded_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert "[  ok] sheet access" in out and "[  ok] tabs" in out and "doctor:" in out
    assert code == 0


def test_doctor_reports_failures_with_fixes(tmp_path, capsys):
    config = tmp_path / "sheets-sync.yaml"
    config.write_text("spreadsheet: {id: abc}\ncredentials: missing-key.json\n"
                      "platforms:\n  - {kind: facebook, page_id: '1', token_env: NO_SUCH_TOKEN_VAR}\n")
    code = main(["doctor", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] sheet" in out and "missing-key.json" in out and "Service accounts" in out
    assert "[FAIL] platform facebook" in out and "NO_SUCH_TOKEN_VAR" in out


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name in COMMANDS:
        assert f"sheets-sync {name}" in readme, f"README does not document `sheets-sync {name}`"
