"""Bad input to the emulators' data directory and HTTP surface (issue 11, item 11).

A corrupt data file is set aside (bytes kept, a warning names it) and the emulator starts with the others; no
id, from a file or a request path, reaches a path outside the data directory; request bodies are capped
before they are read; a save the disk refuses leaves memory as it was; embedded ``run --once`` on a corrupt
Tracker file prints one line and exits non-zero.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from sheets_sync.cli import main
from sheets_sync.emulator import transport
from sheets_sync.emulator.http import EmuRequest, EmuResponse
from sheets_sync.emulator.platforms import PlatformEmulator
from sheets_sync.emulator.platforms.state import StateSaveFailed
from sheets_sync.emulator.server import serve_in_thread
from sheets_sync.emulator.sheets import SheetsEmulator
from sheets_sync.emulator.sheets.store import DataFileError, FileStore, is_valid_id

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3/files"
BAD_ID = "1" + "b" * 43  # a well-formed id whose file is corrupt


def call(emu: Any, method: str, url: str, body: Any = None) -> EmuResponse:
    raw = b"" if body is None else json.dumps(body).encode()
    return emu.handle(EmuRequest(method=method, url=url, body=raw))


def put(emu: SheetsEmulator, book_id: str, rng: str, values: list) -> EmuResponse:
    return call(emu, "PUT", f"{SHEETS}/{book_id}/values/{quote(rng)}?valueInputOption=RAW", {"values": values})


def cell(emu: SheetsEmulator, book_id: str, rng: str = "A1") -> Any:
    response = call(emu, "GET", f"{SHEETS}/{book_id}/values/{quote(rng)}")
    assert response.status == 200, response.body
    return response.json().get("values")


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def good_book_json(tmp_path: Path) -> dict[str, Any]:
    """A spreadsheet file exactly as the emulator writes one."""
    emu = SheetsEmulator(data_dir=tmp_path / "scratch", quota_per_minute=0)
    book = emu.create_spreadsheet("Scratch")
    return json.loads((tmp_path / "scratch" / f"{book.id}.json").read_text(encoding="utf-8"))


# --- corrupt data files -----------------------------------------------------------------------------------


def _with(**changes: Any):
    return lambda good: {**good, **changes}


CORRUPT_FILES: list[tuple[str, str, Any, str]] = [
    # (case, file stem, content: bytes or a function of a good file's JSON, reason expected in the warning)
    ("empty", BAD_ID, b"", "the file is empty"),
    ("whitespace", BAD_ID, b"  \n", "the file is empty"),
    ("truncated", BAD_ID, lambda good: json.dumps(good)[:120].encode(), "truncated JSON"),
    ("truncated at a key", BAD_ID, b'{"id": "' + BAD_ID.encode() + b'", ', "truncated JSON"),
    ("garbage text", BAD_ID, b"hello, world", "invalid JSON at line 1"),
    ("garbage bytes", BAD_ID, b"\x00\xff\xfe garbage", "not UTF-8"),
    ("deeply nested", BAD_ID, b"[" * 100_000, "nested too deeply"),
    ("a list", BAD_ID, b"[1, 2, 3]", "a JSON list, not an object"),
    ("a string", BAD_ID, b'"spreadsheet"', "a JSON str, not an object"),
    ("missing keys", BAD_ID, json.dumps({"id": BAD_ID}).encode(), "missing properties"),
    ("id climbs out", BAD_ID, _with(id="../../x"), "is not a spreadsheet id"),
    ("id is absolute", BAD_ID, _with(id="/tmp/x"), "is not a spreadsheet id"),
    ("id is a number", BAD_ID, _with(id=12), "is not a spreadsheet id"),
    ("id of another file", BAD_ID, _with(id="1" + "c" * 43), "does not match its file name"),
    ("name is not an id", "not an id", None, "its name is not a spreadsheet id"),
    ("sheets not a list", BAD_ID, _with(sheets={"a": 1}), "sheets is not a list"),
    ("sheet without props", BAD_ID, _with(sheets=[{"rows": []}]), "sheet 0 has no props"),
    ("rows not lists", BAD_ID, lambda good: {**good, "sheets": [{**good["sheets"][0], "rows": ["abc"]}]},
     "rows are not a list of lists"),
    ("cell of the wrong shape", BAD_ID,
     lambda good: {**good, "sheets": [{**good["sheets"][0], "rows": [[{"c": "not a cell"}]]}]}, "wrong shape"),
    ("title not a string", BAD_ID, _with(properties={"title": 5}), "properties is not an object with a title"),
]


@pytest.mark.parametrize(("stem", "content", "reason"), [c[1:] for c in CORRUPT_FILES],
                         ids=[c[0] for c in CORRUPT_FILES])
def test_corrupt_data_file_is_set_aside_and_the_others_load(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                            stem: str, content: Any, reason: str) -> None:
    data = tmp_path / "data" / "sheets"
    first = SheetsEmulator(data_dir=data, quota_per_minute=0)
    good = first.create_spreadsheet("Good")
    assert put(first, good.id, "A1", [["kept"]]).status == 200
    if content is None:
        content = json.dumps(good_book_json(tmp_path)).encode()
    elif callable(content):
        shaped = good_book_json(tmp_path)
        shaped["id"] = stem
        made = content(shaped)
        content = made if isinstance(made, bytes) else json.dumps(made).encode()
    bad = data / f"{stem}.json"
    bad.write_bytes(content)
    outside_before = files_under(tmp_path / "data")

    with caplog.at_level(logging.WARNING):
        emu = SheetsEmulator(data_dir=data, quota_per_minute=0)

    assert list(emu.books) == [good.id] and cell(emu, good.id) == [["kept"]]
    assert not bad.exists()
    [aside] = emu.set_aside
    assert aside.path == bad and reason in aside.reason
    assert aside.moved_to.parent == data and aside.moved_to.name.startswith(f"{bad.name}.corrupt-")
    assert aside.moved_to.read_bytes() == content  # nothing is lost
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = record.getMessage()
    assert str(bad) in message and str(aside.moved_to) in message and reason in message
    assert "\n" not in message
    # Writes go on; nothing lands outside the data directory; the moved file is not loaded again.
    assert put(emu, good.id, "A2", [["more"]]).status == 200
    after = files_under(tmp_path / "data")
    assert set(after) - set(outside_before) == {str(aside.moved_to.relative_to(tmp_path / "data"))}
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.json").exists()
    again = SheetsEmulator(data_dir=data, quota_per_minute=0)
    assert again.set_aside == [] and list(again.books) == [good.id]


def test_a_file_that_cannot_be_set_aside_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "sheets"
    data.mkdir()
    (data / f"{BAD_ID}.json").write_bytes(b"{")

    def refuse(*args: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("sheets_sync.emulator.sheets.store.os.rename", refuse)
    with pytest.raises(DataFileError) as caught:
        SheetsEmulator(data_dir=data)
    message = str(caught.value)
    assert "\n" not in message and str(data / f"{BAD_ID}.json") in message
    assert "truncated JSON" in message and "move it away or restore it from a backup" in message


def test_a_data_directory_that_cannot_be_made_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(DataFileError, match="data directory .* cannot be created"):
        SheetsEmulator(data_dir=blocker / "sheets")


PLATFORM_FILES = [
    ("empty", b"", "the file is empty"),
    ("truncated", b'{"posts": [{"id": "1"', "truncated JSON"),
    ("garbage", b"\xff\xfe\x00", "not UTF-8"),
    ("a list", b"[]", "a JSON list, not an object"),
    ("post of the wrong shape", json.dumps({"posts": [{"id": "1"}]}).encode(), "wrong shape"),
    ("field of the wrong type", json.dumps({"posts": [{
        "id": "1", "platform": "facebook", "account_id": "9", "text": "t", "created": "yesterday", "updated": 1,
        "seq": 1}]}).encode(), "created is str"),
    ("unknown platform", json.dumps({"posts": [{
        "id": "1", "platform": "myspace", "account_id": "9", "text": "t", "created": 1, "updated": 1,
        "seq": 1}]}).encode(), "unknown platform"),
]


@pytest.mark.parametrize(("content", "reason"), [c[1:] for c in PLATFORM_FILES], ids=[c[0] for c in PLATFORM_FILES])
def test_corrupt_platform_state_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes,
                                             reason: str) -> None:
    path = tmp_path / "platforms.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        emu = PlatformEmulator(data_dir=str(tmp_path))
    assert emu.state.posts == {} and not path.exists()
    [aside] = emu.set_aside
    assert reason in aside.reason and Path(aside.moved_to).read_bytes() == content
    message = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert str(path) in message and aside.moved_to in message
    emu.add_post("facebook", "9", "works again")
    assert len(PlatformEmulator(data_dir=str(tmp_path)).state.posts) == 1


# --- ids never leave the data directory ------------------------------------------------------------------

TRAVERSALS = ["..%2F..%2Fx", "%2E%2E%2F%2E%2E%2Fx", "..", "%2e%2e", "x%2Fy", "%2Ftmp%2Fx", "a%00b", "x.json"]
REQUESTS = [
    ("GET", SHEETS + "/{id}", None),
    ("POST", SHEETS + "/{id}:batchUpdate", {"requests": [{"addSheet": {"properties": {"title": "T"}}}]}),
    ("PUT", SHEETS + "/{id}/values/A1?valueInputOption=RAW", {"values": [["x"]]}),
    ("POST", SHEETS + "/{id}/values/A1:append?valueInputOption=RAW", {"values": [["x"]]}),
    ("POST", SHEETS + "/{id}/values:batchClear", {"ranges": ["A1"]}),
    ("GET", DRIVE + "/{id}", None),
    ("PATCH", DRIVE + "/{id}", {"name": "renamed"}),
    ("DELETE", DRIVE + "/{id}", None),
    ("POST", DRIVE + "/{id}/copy", {}),
    ("POST", DRIVE + "/{id}/permissions", {"type": "user", "role": "writer", "emailAddress": "a@b.c"}),
]


@pytest.mark.parametrize("bad_id", TRAVERSALS)
@pytest.mark.parametrize(("method", "url", "body"), REQUESTS, ids=[f"{m} {u.split('/', 3)[3]}" for m, u, _ in REQUESTS])
def test_path_traversal_in_a_request_is_404_and_writes_nothing(tmp_path: Path, bad_id: str, method: str, url: str,
                                                                body: Any) -> None:
    data = tmp_path / "a" / "b" / "sheets"
    emu = SheetsEmulator(data_dir=data, quota_per_minute=0)
    emu.create_spreadsheet("Only")
    before = files_under(tmp_path)
    response = call(emu, method, url.format(id=bad_id), body)
    assert response.status == 404, response.body
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("bad", ["../../x", "..", "", "a/b", "/abs", "x.json", "a\x00b", "é", "x" * 129, None, 5])
def test_store_refuses_ids_that_are_not_ids(tmp_path: Path, bad: Any) -> None:
    assert not is_valid_id(bad)
    with pytest.raises(ValueError, match="not a spreadsheet id"):
        FileStore(tmp_path)._path(bad)


def test_ids_the_emulator_makes_are_valid(tmp_path: Path) -> None:
    emu = SheetsEmulator(data_dir=tmp_path, quota_per_minute=0)
    assert all(is_valid_id(emu.create_spreadsheet(str(i)).id) for i in range(20))


# --- request bodies are capped ----------------------------------------------------------------------------


def raw_exchange(url: str, head: bytes, body: bytes = b"", close_write: bool = False) -> bytes:
    """Send ``head`` (and ``body``) on a raw socket and read the answer until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:  # a safety net, never waited out
        sock.sendall(head + body)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def head(method: str, path: str, *headers: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: emulator", *headers, "", ""]).encode()


BODY_CASES = [
    # (case, request head, body sent, expected status line, half-close after sending)
    ("300 MB declared, never sent", head("POST", "/v4/spreadsheets", "Content-Length: 314572800"), b"", 413, False),
    ("over the cap by one", head("POST", "/v4/spreadsheets", f"Content-Length: {transport.MAX_BODY_BYTES + 1}"),
     b"", 413, False),
    ("300 MB offered with Expect", head("PUT", "/v4/spreadsheets/x/values/A1", "Content-Length: 314572800",
                                        "Expect: 100-continue"), b"", 413, False),
    ("chunked", head("POST", "/v4/spreadsheets", "Transfer-Encoding: chunked"), b"5\r\nhello\r\n0\r\n\r\n", 411,
     False),
    ("garbage length", head("POST", "/v4/spreadsheets", "Content-Length: lots"), b"", 400, False),
    ("negative length", head("POST", "/v4/spreadsheets", "Content-Length: -5"), b"", 400, False),
    ("fractional length", head("POST", "/v4/spreadsheets", "Content-Length: 2.5"), b"", 400, False),
    ("lengths that disagree", head("POST", "/v4/spreadsheets", "Content-Length: 2", "Content-Length: 3"), b"{}",
     400, False),
    ("body shorter than declared", head("POST", "/v4/spreadsheets", "Content-Length: 100"), b'{"a":', 400, True),
]


@pytest.mark.parametrize(("request_head", "body", "status", "close_write"), [c[1:] for c in BODY_CASES],
                         ids=[c[0] for c in BODY_CASES])
def test_served_emulator_sizes_the_body_before_reading_it(request_head: bytes, body: bytes, status: int,
                                                         close_write: bool) -> None:
    emu = SheetsEmulator(quota_per_minute=0)
    server, url = serve_in_thread(emu)
    try:
        answer = raw_exchange(url, request_head, body, close_write)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(f"HTTP/1.1 {status} ".encode()), answer[:300]
        assert b"100 Continue" not in answer
        assert b"connection: close" in rest.lower()
        payload = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert payload["error"]["code"] == status and payload["error"]["message"]
        assert emu.stats()["requests"] == {}  # the core never saw it
        # The server is still well: a normal request is answered.
        assert requests.post(f"{url}/v4/spreadsheets", json={}, timeout=30).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_served_emulator_takes_a_bodiless_post_without_a_length() -> None:
    emu = SheetsEmulator(quota_per_minute=0)
    server, url = serve_in_thread(emu)
    try:
        answer = raw_exchange(url, head("POST", "/_emulator/stats/reset", "Connection: close"))
        assert answer.startswith(b"HTTP/1.1 200 ")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("make_body", [lambda n: b"x" * n, lambda n: io.BytesIO(b"x" * n),
                                       lambda n: iter([b"x" * (n // 2), b"x" * (n - n // 2)])],
                         ids=["bytes", "file", "chunks"])
def test_in_process_transport_caps_the_body_too(monkeypatch, make_body) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 1000)
    emu = SheetsEmulator(quota_per_minute=0)
    session = emu.session()
    over = session.post(SHEETS, data=make_body(1001), headers={"Content-Type": "application/json"})
    assert over.status_code == 413 and over.json()["error"]["code"] == 413
    assert emu.stats()["requests"] == {} and emu.books == {}
    body = json.dumps({"properties": {"title": "t" * 900}}).encode()
    assert len(body) <= 1000
    assert session.post(SHEETS, data=body).status_code == 200


# --- a failed save changes nothing ------------------------------------------------------------------------

WRITES = [
    ("PUT", "{s}/{id}/values/A1?valueInputOption=RAW", {"values": [["after"]]}),
    ("POST", "{s}/{id}/values/A1:append?valueInputOption=RAW", {"values": [["after"]]}),
    ("POST", "{s}/{id}/values/A1:clear", {}),
    ("POST", "{s}/{id}/values:batchClear", {"ranges": ["A1"]}),
    ("POST", "{s}/{id}/values:batchUpdate", {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [["a"]]}]}),
    ("POST", "{s}/{id}:batchUpdate", {"requests": [{"addSheet": {"properties": {"title": "New"}}}]}),
    ("POST", "{s}", {"properties": {"title": "Another"}}),
    ("POST", "{d}", {"name": "Another", "mimeType": "application/vnd.google-apps.spreadsheet"}),
    ("PATCH", "{d}/{id}", {"name": "Renamed"}),
    ("POST", "{d}/{id}/copy", {}),
    ("POST", "{d}/{id}/permissions", {"type": "user", "role": "writer", "emailAddress": "a@b.c"}),
    ("DELETE", "{d}/{id}", None),
]


def snapshot(emu: SheetsEmulator) -> dict[str, Any]:
    return {book_id: json.dumps(book.to_json(), sort_keys=True) for book_id, book in emu.books.items()}


@pytest.mark.parametrize(("method", "url", "body"), WRITES, ids=[f"{m} {u}" for m, u, _ in WRITES])
def test_a_save_the_disk_refuses_leaves_memory_unchanged(tmp_path: Path, method: str, url: str, body: Any) -> None:
    data = tmp_path / "sheets"
    emu = SheetsEmulator(data_dir=data, quota_per_minute=0)
    book = emu.create_spreadsheet("Tracker")
    assert put(emu, book.id, "A1", [["before"]]).status == 200
    before = snapshot(emu)
    target = url.format(s=SHEETS, d=DRIVE, id=book.id)
    # A real failure, even as root: the data directory is replaced by a file, so no file can be made in it.
    data.rename(tmp_path / "away")
    data.write_text("not a directory", encoding="utf-8")

    refused = call(emu, method, target, body)

    assert refused.status == 503, refused.body
    error = refused.json()["error"]
    assert error["status"] == "UNAVAILABLE" and "could not" in error["message"]
    assert "nothing was changed" in error["message"] and "\n" not in error["message"]
    assert snapshot(emu) == before
    assert cell(emu, book.id) == [["before"]]
    # The disk is back: the same request works and is saved.
    data.unlink()
    (tmp_path / "away").rename(data)
    assert call(emu, method, target, body).status in (200, 204)
    assert snapshot(SheetsEmulator(data_dir=data, quota_per_minute=0)) == snapshot(emu)


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    emu = SheetsEmulator(data_dir=tmp_path, quota_per_minute=0)
    book = emu.create_spreadsheet("Tracker")
    assert put(emu, book.id, "A1", [["before"]]).status == 200
    on_disk = files_under(tmp_path)

    def disk_full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr("sheets_sync.emulator.sheets.store.os.fsync", disk_full)
        refused = put(emu, book.id, "A1", [["after"]])
    assert refused.status == 503 and "No space left on device" in refused.json()["error"]["message"]
    assert files_under(tmp_path) == on_disk
    assert cell(emu, book.id) == [["before"]]
    assert put(emu, book.id, "A1", [["after"]]).status == 200
    assert cell(SheetsEmulator(data_dir=tmp_path), book.id) == [["after"]]


def test_create_spreadsheet_that_cannot_be_saved_is_not_kept(tmp_path: Path) -> None:
    data = tmp_path / "sheets"
    emu = SheetsEmulator(data_dir=data, quota_per_minute=0)
    data.rmdir()
    data.write_text("not a directory", encoding="utf-8")
    with pytest.raises(Exception, match="could not save"):
        emu.create_spreadsheet("Lost")
    assert emu.books == {}


PLATFORM_WRITES = [
    ("admin post", "POST", "http://emulator/_emulator/posts", {"platform": "facebook", "account_id": "9",
                                                                "text": "new"}),
    ("admin comment", "POST", "http://emulator/_emulator/comments", {
        "platform": "facebook", "post_id": "{post}", "text": "hi", "author": {"id": "u", "name": "U"}}),
    ("graph reply", "POST", "https://graph.facebook.com/v19.0/{comment}/comments?message=thanks", None),
]


@pytest.mark.parametrize(("method", "url", "body"), [c[1:] for c in PLATFORM_WRITES],
                         ids=[c[0] for c in PLATFORM_WRITES])
def test_platform_save_the_disk_refuses_leaves_state_unchanged(tmp_path: Path, method: str, url: str,
                                                               body: Any) -> None:
    data = tmp_path / "platforms"
    emu = PlatformEmulator(data_dir=str(data))
    post = emu.add_post("facebook", "9", "Water notice")
    comment = emu.add_comment("facebook", post.id, "No water", {"id": "u1", "name": "Priya"})
    before = json.dumps(emu.state.to_json(), sort_keys=True)
    target = url.format(post=post.id, comment=comment.id)
    payload = json.loads(json.dumps(body).replace("{post}", post.id)) if body is not None else None
    data.rename(tmp_path / "away")
    data.write_text("not a directory", encoding="utf-8")

    request = EmuRequest(method, target, {"Authorization": "Bearer token", "Content-Type": "application/json"},
                         json.dumps(payload).encode() if payload is not None else b"")
    refused = emu.handle(request)
    assert refused.status == 503, refused.body
    assert "could not save" in refused.body.decode()
    assert json.dumps(emu.state.to_json(), sort_keys=True) == before
    with pytest.raises(StateSaveFailed):
        emu.add_post("facebook", "9", "direct")
    assert json.dumps(emu.state.to_json(), sort_keys=True) == before

    data.unlink()
    (tmp_path / "away").rename(data)
    assert emu.handle(request).status < 300
    assert PlatformEmulator(data_dir=str(data)).state.to_json() == emu.state.to_json()


# --- embedded `run --once` ----------------------------------------------------------------------------------


def run_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--once", "--config", str(tmp_path / "sheets-sync.yaml")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b'{"id": "', b"\x00garbage", b"[]"], ids=["empty", "truncated",
                                                                                   "garbage", "list"])
def test_run_once_with_a_corrupt_tracker_prints_one_line(tmp_path: Path, monkeypatch,
                                                         capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sheets-sync.yaml").write_text("data_dir: state\n", encoding="utf-8")
    sheets = tmp_path / "state" / "sheets"
    sheets.mkdir(parents=True)
    (tmp_path / "state" / "tracker-spreadsheet-id").write_text(BAD_ID + "\n", encoding="utf-8")
    tracker = sheets / f"{BAD_ID}.json"
    tracker.write_bytes(content)

    code, err = run_once(tmp_path, capsys)

    assert code != 0
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("sheets-sync:")]
    assert str(tracker) in line and "the embedded Tracker Sheet" in line and "moved to" in line
    assert "delete" in line and "tracker-spreadsheet-id" in line
    [moved] = sheets.glob(f"{BAD_ID}.json.corrupt-*")
    assert moved.read_bytes() == content

    # The next run still refuses (it does not make a new, empty Tracker) and says where the file went.
    code, err = run_once(tmp_path, capsys)
    assert code != 0 and "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("sheets-sync:")]
    assert "is missing" in line and str(moved) in line
    assert list(sheets.glob("*.json")) == []
