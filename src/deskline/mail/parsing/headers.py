"""Header values: RFC 2047 words (also malformed ones), raw 8-bit text, addresses, ids."""

import base64
import binascii
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from deskline.core.emails import normalize_email

from .charsets import codec_for, guess_decode

# Lenient on purpose: real mail has spaces inside Q words, lower-case b/q, RFC 2231
# language tags (=?utf-8*en?Q?...?=) and missing whitespace around words.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_ID = re.compile(r"<([^<>]+)>")


def raw_header(message: Message, name: str) -> str:
    """The first value of a header as it came in (8-bit bytes as surrogate escapes).

    Read raw on purpose: our decoding is more forgiving than the email package's
    header objects, and it is several times faster than re-parsing them on each get.
    """
    name = name.lower()
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


def header_index(message: Message) -> dict[str, str]:
    """Lower-case name → the first value as it came in (what raw_header returns), for
    reading many headers of one message with one pass over them."""
    index: dict[str, str] = {}
    for key, value in message.raw_items():
        index.setdefault(key.lower(), str(value))
    return index


def raw_to_str(value: str, hints: tuple[str, ...] = ()) -> str:
    """A header value as stored by the bytes parser: 8-bit bytes are surrogate escapes."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # already real text (a str-built message)
    return guess_decode(data, hints)


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]  # a stray character: no valid base64 ends this way
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    data = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def decode_words(text: str, hints: tuple[str, ...] = ()) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset are joined as bytes
    first, since senders split multi-byte characters across words."""
    if "=?" not in text:
        return raw_to_str(text, hints)
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []
    pos = 0

    def flush() -> None:
        merged: list[tuple[str, bytes]] = []
        for charset, data in pending:
            if merged and merged[-1][0] == charset:
                merged[-1] = (charset, merged[-1][1] + data)
            else:
                merged.append((charset, data))
        for charset, data in merged:
            codec = codec_for(charset)
            try:
                out.append(data.decode(codec) if codec else guess_decode(data, hints))
            except UnicodeError:
                out.append(guess_decode(data, (charset, *hints)))
        pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if pending and between.strip() == "":
            pass  # whitespace between encoded words is not part of the text
        else:
            flush()
            out.append(raw_to_str(between, hints))
        charset = match.group(1).split("*", 1)[0]
        pending.append((charset.lower(), _word_bytes(match.group(2), match.group(3))))
        pos = match.end()
    flush()
    out.append(raw_to_str(text[pos:], hints))
    return "".join(out)


def decode_header(value: str | None, hints: tuple[str, ...] = ()) -> str:
    if not value:
        return ""
    # Encoded words are decoded from the raw bytes: some carry raw 8-bit inside.
    text = decode_words(unfold(str(value)), hints)
    return re.sub(r"\s+", " ", text).strip()


def parse_addresses(value: str | None, hints: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(name, email) pairs; email as stored (core.emails.normalize_email), "" when the
    entry has no usable address."""
    if not value:
        return []
    text = unfold(raw_to_str(str(value), hints))
    pairs: list[tuple[str, str]] = []
    for name, address in getaddresses([text]):
        name = decode_header(name, hints).strip("\"' ")
        address = address.strip().strip("<>")
        if "=?" in address:
            # Encoded words are not allowed in an address (RFC 2047, 5), but the email
            # package writes a Unicode address that way unless told SMTPUTF8: scripts
            # (form relays, monitoring) send it so.
            address = decode_words(address, hints)
        address = normalize_email(address)
        if "@" not in address:
            if address and not name:
                name = address
            address = ""
        if name or address:
            pairs.append((name, address))
    if not pairs:
        found = re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)
        pairs = [("", normalize_email(found[0]))] if found else []
    return pairs


def emails_in(value: str | None, hints: tuple[str, ...] = ()) -> list[str]:
    return [address for _, address in parse_addresses(value, hints) if address]


def message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    text = unfold(raw_to_str(str(value)))
    found = [m.strip() for m in _ID.findall(text) if m.strip()]
    if found:
        return found
    # Some clients drop the angle brackets.
    return [token for token in text.split() if "@" in token]


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = unfold(raw_to_str(str(value))).strip()
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or not 1970 <= parsed.year <= 9999:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
