"""Drive file uploads (the content-mail job's attachments): one multipart ``files.create`` per file.

Drive v3's multipart upload (``POST /upload/drive/v3/files?uploadType=multipart``): a ``multipart/related``
body whose first part is the file's metadata (name, the folder in ``parents``) and whose second is the bytes.
It goes through the Tracker store's HTTP client like every Sheets/Drive request, so it is counted, sent to the
emulator when one is configured, and retried only when a connection failed before anything was sent (a POST
is not idempotent).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import TrackerStore

UPLOAD_URL = "https://www.googleapis.com/upload/drive/v3/files"
# Attachments larger than this are named in the row, not uploaded: a multipart upload holds the file in one
# request (Drive accepts up to 5 MB that way; larger files need a resumable session).
MAX_MULTIPART_BYTES = 5 * 1024 * 1024


def multipart_body(metadata: dict[str, object], content_type: str, data: bytes) -> tuple[bytes, str]:
    """The ``multipart/related`` body and its Content-Type header for one upload."""
    boundary = f"sheets-sync-{uuid.uuid4().hex}"
    head = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{json.dumps(metadata, ensure_ascii=False)}\r\n"
            f"--{boundary}\r\nContent-Type: {content_type or 'application/octet-stream'}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/related; boundary={boundary}"


def upload_file(store: TrackerStore, folder_id: str, name: str, content_type: str, data: bytes) -> str:
    """Upload one file into the Drive folder ``folder_id``; its link (``webViewLink``)."""
    metadata = {"name": name, "parents": [folder_id], "mimeType": content_type or "application/octet-stream"}
    body, header = multipart_body(metadata, content_type, data)
    response = store.http.request("post", UPLOAD_URL, params={
        "uploadType": "multipart", "fields": "id,name,webViewLink", "supportsAllDrives": "true"},
        data=body, headers={"Content-Type": header})
    created = response.json()
    return str(created.get("webViewLink") or f"https://drive.google.com/file/d/{created['id']}/view")
