"""Drive v3 file uploads (``POST /upload/drive/v3/files``) as the content-mail job makes them.

``uploadType=multipart`` (metadata and bytes in one ``multipart/related`` body) and ``uploadType=media``
(bytes only, named "Untitled") are accepted, as Drive does; ``resumable`` is refused with Drive's error. The
files are kept in memory (``DriveUploads.files``): the emulator stores spreadsheets, and an uploaded file is
only ever linked to, never read back, by sheets-sync. A folder named in ``parents`` is taken to exist (the
emulator has no folders, as its ``files.list`` already assumes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .drive import DriveError, with_fields
from .store import iso_now, new_spreadsheet_id

UPLOAD_DEFAULT_FIELDS = ["kind", "id", "name", "mimeType"]


@dataclass
class UploadedFile:
    """One file uploaded to the emulator's Drive."""

    id: str
    name: str
    mime_type: str
    parents: list[str]
    data: bytes
    created_time: str = field(default_factory=iso_now)

    def resource(self) -> dict[str, Any]:
        """Every field of the Drive file the emulator knows."""
        return {"kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime_type,
                "parents": list(self.parents), "size": str(len(self.data)), "createdTime": self.created_time,
                "webViewLink": f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"}


def _split_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], str, bytes]:
    """(metadata, media type, bytes) of a ``multipart/related`` upload body; Drive's 400 when malformed."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise DriveError(400, "Malformed multipart body: expected the metadata part and the media part.",
                         "badContent")
    meta_part, media_part = parts
    try:
        metadata = json.loads(meta_part.get_payload(decode=True) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DriveError(400, "Invalid JSON in the metadata part of the multipart body.", "parseError") from None
    if not isinstance(metadata, dict):
        raise DriveError(400, "The metadata part must be a JSON object.", "parseError")
    return metadata, media_part.get_content_type(), media_part.get_payload(decode=True) or b""


@dataclass
class DriveUploads:
    """The emulator's uploaded (non-spreadsheet) files."""

    files: dict[str, UploadedFile] = field(default_factory=dict)

    def upload(self, upload_type: str | None, content_type: str, body: bytes, fields: str | None) -> dict[str, Any]:
        """Store one upload; the file resource Drive answers with (``fields`` applied)."""
        if upload_type == "multipart":
            metadata, mime, data = _split_multipart(content_type, body)
        elif upload_type == "media":
            metadata, mime, data = {}, content_type or "application/octet-stream", body
        else:
            raise DriveError(400, f"Invalid upload type {upload_type!r}: the offline emulator accepts multipart "
                                  "and media uploads.", "invalid", "uploadType")
        parents = metadata.get("parents") or []
        if not isinstance(parents, list) or not all(isinstance(p, str) and p for p in parents):
            raise DriveError(400, "Invalid parents: a list of folder ids.", "invalid", "parents")
        uploaded = UploadedFile(id=new_spreadsheet_id()[:33], name=str(metadata.get("name") or "Untitled"),
                                mime_type=str(metadata.get("mimeType") or mime), parents=parents, data=data)
        self.files[uploaded.id] = uploaded
        return with_fields(uploaded.resource(), fields, UPLOAD_DEFAULT_FIELDS)
