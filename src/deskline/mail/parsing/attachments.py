"""File names for attachments: decoded, without paths, never empty."""

import mimetypes
import re
from email.message import Message

from .headers import decode_header, raw_header, unfold

# Types whose guessed extension from mimetypes is odd or missing.
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/global-delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "text/rfc822-headers": ".txt",
    "message/global-headers": ".txt",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
    "application/msword": ".doc",
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
MAX_NAME = 200


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def clean_filename(name: str) -> str:
    """Last path segment, no control or reserved characters, bounded length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: MAX_NAME - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 12
            else name[:MAX_NAME]
        )
    return name


def raw_filename(part: Message, hints: tuple[str, ...] = ()) -> str:
    """The name the sender gave: Content-Disposition filename (RFC 2231 continuations
    and charsets via the email package), else Content-Type name; RFC 2047 words decoded
    too, since many clients put them there against the standards."""
    name = _raw_8bit_param(part, "content-disposition", "filename") or _raw_8bit_param(
        part, "content-type", "name"
    )
    if name:
        return decode_header(name, hints)
    for getter in (
        lambda: part.get_filename(),
        lambda: part.get_param("name", header="content-type"),
    ):
        try:
            value = getter()
        except (ValueError, LookupError, TypeError, IndexError, AttributeError):
            continue
        if isinstance(value, tuple):  # an RFC 2231 triple the package did not collapse
            charset, _, text = value
            try:
                value = text.encode("latin-1", "surrogateescape").decode(charset or "utf-8")
            except (LookupError, UnicodeError):
                value = text
        if value:
            name = str(value)
            break
    if not name:
        return ""
    return decode_header(name, hints)


def _raw_8bit_param(part: Message, header: str, param: str) -> str:
    """Raw 8-bit (usually UTF-8) parameter values, which the email package turns into
    replacement characters; read from the stored header instead."""
    value = raw_header(part, header)
    if not value or value.isascii():
        return ""
    match = re.search(
        rf'(?:^|;)\s*{param}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', unfold(value), re.IGNORECASE
    )
    if not match:
        return ""
    found = match.group(1) if match.group(1) is not None else match.group(2)
    return found.strip() if not found.isascii() else ""


def default_filename(content_type: str, index: int, subject: str = "") -> str:
    if content_type in {"message/rfc822", "message/global"} and subject:
        base = clean_filename(subject)[:80]
        if base:
            return base + ".eml"
    stem = "image" if content_type.startswith("image/") else "attachment"
    if content_type in {"message/rfc822", "message/global"}:
        stem = "forwarded-message"
    elif content_type.endswith("delivery-status"):
        stem = "delivery-status"
    elif content_type == "text/rfc822-headers":
        stem = "original-headers"
    return f"{stem}-{index}{extension_for(content_type)}"
