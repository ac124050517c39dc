"""parse_message: the one entry point the intake pipeline calls."""

import re
from email import policy
from email.message import Message
from email.parser import BytesParser

from deskline.core.html import sanitize_html

from .automated import automated_reason
from .bodies import charset_of, walk_message
from .bounces import find_bounce, returned_message_ids
from .forwards import inline_forward_sender
from .headers import (
    decode_header,
    emails_in,
    header_index,
    message_ids,
    parse_addresses,
    parse_date,
)
from .htmltext import html_to_text
from .types import MailParseError, ParsedMail

KEPT_HEADERS = (
    "auto-submitted", "precedence", "list-id", "list-unsubscribe", "list-post",
    "x-autoreply", "x-autorespond", "x-auto-response-suppress", "return-path",
    "delivered-to", "sender", "x-mailer", "user-agent", "x-priority", "importance",
    "x-failed-recipients", "x-loop", "thread-index", "thread-topic", "content-language",
    "x-original-to", "x-forwarded-to", "feedback-id", "x-spam-flag", "x-spam-status",
)  # fmt: skip
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,100}[ \t]*:")
_MAX_NESTING = 5


def _prepare(raw: bytes) -> tuple[bytes, str | None]:
    """The bytes to parse, and a defect note; MailParseError when this is not mail."""
    if not raw.strip():
        raise MailParseError("empty input: not a mail message")
    if raw.startswith(b"From "):  # mbox separator line
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    # Some stores pad the top with blank or whitespace-only lines.
    raw = re.sub(rb"\A(?:[ \t]*\r?\n)+", b"", raw)
    first_line = raw.split(b"\n", 1)[0].rstrip(b"\r")
    if not _HEADER_LINE.match(first_line):
        head = raw[:4096]
        if b"\x00" in head or sum(1 for b in head if b < 9 or 13 < b < 32) > len(head) // 50:
            raise MailParseError("binary data, not a mail message")
        # Text without a header: keep all of it as the body rather than lose it.
        return b"\n" + raw, "no mail headers; whole input kept as the body"
    return raw, None


def _charset_hints(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for part in message.walk():
        label = charset_of(part)
        if label and label.lower() not in found and label.lower() not in {"us-ascii", "ascii"}:
            found.append(label.lower())
    return tuple(found)


_ROOT_TAG = re.compile(r"<(?:html|body)\b[^>]*>", re.IGNORECASE)
_DIR_LANG = re.compile(r"""\b(dir|lang)\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def _keep_direction(html: str) -> str:
    """<html>/<body> do not survive sanitizing; their dir/lang (right-to-left Arabic
    mail) move to a wrapping <div>."""
    found: dict[str, str] = {}
    for tag in _ROOT_TAG.findall(html[:20000]):
        for name, value in _DIR_LANG.findall(tag):
            found.setdefault(name.lower(), value)
    if not found:
        return html
    attributes = " ".join(f'{name}="{value}"' for name, value in sorted(found.items()))
    return f"<div {attributes}>{html}</div>"


def _forward_block(inner: ParsedMail) -> str:
    lines = ["---------- Forwarded message ----------"]
    sender = f"{inner.from_name} <{inner.from_email}>" if inner.from_email else inner.from_name
    lines.append(f"From: {sender}".rstrip())
    if inner.date:
        lines.append(f"Date: {inner.date:%a, %d %b %Y %H:%M %z}")
    lines.append(f"Subject: {inner.subject}")
    if inner.to:
        lines.append("To: " + ", ".join(inner.to))
    return "\n".join(lines) + "\n\n" + inner.text_body


def parse_tree(message: Message, depth: int = 0) -> ParsedMail:
    hints = _charset_hints(message)
    # Over thirty headers are read below: one pass over them instead of one per read.
    index = header_index(message)
    raw = {name: index.get(name, "") for name in ("from", "subject", "return-path")}
    subject = decode_header(raw["subject"], hints)
    senders = parse_addresses(raw["from"], hints)
    from_name, from_email = senders[0] if senders else ("", "")
    return_path = raw["return-path"].strip()
    null_sender = return_path.replace(" ", "") == "<>" or not from_email
    # Below the top, only the text and the headers of a message are used, not its files.
    collected = walk_message(message, hints, message_files=depth == 0)
    defects = list(dict.fromkeys(collected.defects))

    html_source = "\n".join(collected.htmls)
    text_body = "\n\n".join(t.strip("\n") for t in collected.texts if t.strip())
    if not text_body and html_source:
        text_body = html_to_text(html_source)
    html_body = sanitize_html(_keep_direction(html_source)) if html_source.strip() else ""
    if "\x00" in text_body:
        # Binary data sent as text (an audio file as text/plain): NUL cannot be stored
        # in PostgreSQL text, and means nothing to a reader.
        text_body = text_body.replace("\x00", "")
        defects.append("NUL characters removed from the text (binary data as text?)")
    subject, from_name = subject.replace("\x00", ""), from_name.replace("\x00", "")
    html_body = html_body.replace("\x00", "")

    bounce = find_bounce(
        message,
        report_type=collected.report_type,
        report_blocks=collected.report_blocks,
        text=text_body,
        from_name=from_name,
        from_email=from_email,
        subject=subject,
        null_sender=null_sender,
    )
    automated = automated_reason(
        message,
        report_type=collected.report_type,
        has_bounce=bounce is not None,
        from_name=from_name,
        from_email=from_email,
        subject=subject,
        null_sender=null_sender,
    )

    forwarded_from: tuple[str, str] | None = None
    if not collected.report_type and bounce is None:
        for inner_message, in_report in collected.messages:
            if in_report or depth >= _MAX_NESTING:
                continue
            inner = parse_tree(inner_message, depth + 1)
            text_body = (text_body + "\n\n" + _forward_block(inner)).strip("\n")
            if forwarded_from is None and inner.from_email:
                forwarded_from = (inner.from_name, inner.from_email)
        if forwarded_from is None:
            forwarded_from = inline_forward_sender(text_body, subject)

    kept = {}
    for name in KEPT_HEADERS:
        value = index.get(name, "")
        if value:
            kept[name] = decode_header(value, hints).replace("\x00", "")[:2000]
    language = kept.get("content-language", "").split(",")[0].strip()

    replies = [(n, e) for n, e in parse_addresses(index.get("reply-to", ""), hints) if e]
    references = message_ids(index.get("references", ""))
    if bounce is not None:
        # A bounce answers the mail it returns: threaded by it, it is noted on its ticket.
        returned = returned_message_ids(
            [inner for inner, _ in collected.messages], collected.attachments, text_body
        )
        references += [i for i in returned if i not in references]

    return ParsedMail(
        message_id=(message_ids(index.get("message-id", "")) or [""])[0],
        in_reply_to=message_ids(index.get("in-reply-to", "")),
        references=references,
        subject=subject,
        from_name=from_name,
        from_email=from_email,
        reply_to=[email for _, email in replies],
        to=emails_in(index.get("to", ""), hints),
        cc=emails_in(index.get("cc", ""), hints),
        date=parse_date(index.get("date", "")),
        text_body=text_body,
        html_body=html_body,
        attachments=collected.attachments,
        headers=kept,
        automated=automated,
        bounce=bounce,
        language=language,
        defects=defects,
        forwarded_from=forwarded_from,
        reply_to_name=replies[0][0].replace("\x00", "") if replies else "",
    )


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


def _drop_nul_from_headers(parsed: ParsedMail) -> None:
    """NUL bytes in header values (ids, addresses, names of parts) mean nothing, and
    PostgreSQL text refuses them: a mail carrying them could never be stored or looked
    up. Text, subject and names are cleaned where they are read (parse_tree)."""
    ids = [parsed.message_id, *parsed.in_reply_to, *parsed.references, *parsed.to, *parsed.cc]
    emails = [parsed.from_email, *parsed.reply_to, parsed.language]
    names = [a.filename + a.content_type + a.content_id for a in parsed.attachments]
    if not any("\x00" in value for value in ids + emails + names + parsed.defects):
        return
    parsed.message_id, parsed.from_email = _no_nul(parsed.message_id), _no_nul(parsed.from_email)
    parsed.language = _no_nul(parsed.language)
    for name in ("in_reply_to", "references", "to", "cc", "reply_to", "defects"):
        setattr(parsed, name, [_no_nul(value) for value in getattr(parsed, name)])
    for attachment in parsed.attachments:
        attachment.filename = _no_nul(attachment.filename)
        attachment.content_type = _no_nul(attachment.content_type)
        attachment.content_id = _no_nul(attachment.content_id)
    if parsed.forwarded_from:
        parsed.forwarded_from = (_no_nul(parsed.forwarded_from[0]),
                                 _no_nul(parsed.forwarded_from[1]))  # fmt: skip
    parsed.defects.append("NUL characters removed from the headers")


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes. Raises MailParseError only for input that is not mail."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailParseError("mail must be given as bytes")
    data, note = _prepare(bytes(raw))
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    parsed = parse_tree(message)
    _drop_nul_from_headers(parsed)
    if note:
        parsed.defects.insert(0, note)
    return parsed
