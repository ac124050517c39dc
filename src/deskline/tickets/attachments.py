"""Storing attachment files: size and type checks, content-addressed files on disk."""

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core import rows
from deskline.core.errors import lazy_message
from deskline.tickets.models import Attachment, Ticket

# Leading bytes of formats we recognise, so a declared type cannot disguise a file.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"RIFF", "image/webp"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
]
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
# Types a browser would render or run: always served as downloads (see the API).
ACTIVE_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"}
CHUNK = 1024 * 1024


def clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return name[:255] or "attachment"


def detect_content_type(filename: str, head: bytes) -> str:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            if content_type == "application/zip":
                # Office documents are zip files; their extension tells which.
                guessed = mimetypes.guess_type(filename)[0]
                return guessed or content_type
            if content_type == "image/webp" and head[8:12] != b"WEBP":
                break
            return content_type
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def check_file_allowed(filename: str, head: bytes) -> None:
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension in {e.lower() for e in settings.ATTACHMENT_BLOCKED_EXTENSIONS}:
        raise ValidationError(
            {
                "file": lazy_message(
                    _("files of type .%(extension)s are not accepted"), extension=extension
                )
            }
        )
    if head.startswith(EXECUTABLE_SIGNATURES):
        raise ValidationError({"file": _("executable programs are not accepted")})


def attachment_path(attachment: Attachment) -> Path:
    return Path(settings.ATTACHMENT_ROOT) / attachment.storage_path


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_path: str


def write_file(filename: str, stream: BinaryIO) -> StoredFile:
    """Check and write an upload under the attachment root, named by its SHA-256.

    Streams to a temporary file first, so a refused or broken upload leaves nothing."""
    filename = clean_filename(filename)
    root = Path(settings.ATTACHMENT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                if not head:
                    head = chunk[:64]
                    check_file_allowed(filename, head)
                size += len(chunk)
                if size > settings.ATTACHMENT_MAX_BYTES:
                    limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
                    raise ValidationError(
                        {
                            "file": lazy_message(
                                _("file is larger than the %(limit)s MB limit"), limit=limit
                            )
                        }
                    )
                digest.update(chunk)
                out.write(chunk)
        if not head:
            check_file_allowed(filename, head)
        sha = digest.hexdigest()
        relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
        final = root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return StoredFile(filename, detect_content_type(filename, head), size, sha, relative)


def store_attachment(
    ticket: Ticket,
    *,
    filename: str,
    stream: BinaryIO,
    uploaded_by: User | None,
    content_id: str = "",
    inline: bool = False,
) -> Attachment:
    """Write the file to disk and return an Attachment row, not yet on a message."""
    stored = write_file(filename, stream)
    attachment = Attachment(
        ticket=ticket,
        uploaded_by=uploaded_by,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_path=stored.storage_path,
        content_id=content_id,
        inline=inline,
    )
    # Attachment.objects.create() in plain SQL: mail stores its files under SQLite's
    # write lock, where the ORM's INSERT cost more to build than to run.
    rows.insert(attachment)
    return attachment
