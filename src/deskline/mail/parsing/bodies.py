"""Walking the MIME tree: which parts are the text, which the HTML, which are files.

Every leaf ends up somewhere: in the text, in the HTML, or as an attachment (also the
alternatives we do not show, such as text/enriched, and the parts of a report).
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message

from .attachments import clean_filename, default_filename, extension_for, raw_filename
from .charsets import decode_text
from .headers import decode_header, raw_header
from .tnef import TnefError
from .tnef import extract as extract_tnef
from .types import ParsedAttachment, RenderedOnRead

_BODY_TYPES = {"text/plain", "text/html"}
_MESSAGE_TYPES = {"message/rfc822", "message/global"}
_HEADER_BLOCK_TYPES = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
}
# compat32 writes stored header values back as they came, without refolding.
_SERIALIZE = policy.compat32.clone(max_line_length=0)


@dataclass
class Collected:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Attached messages (forwards), with whether they came inside a report (bounces).
    messages: list[tuple[Message, bool]] = field(default_factory=list)
    # Header blocks of delivery-status / feedback / MDN parts, for bounce reading.
    report_blocks: list[Message] = field(default_factory=list)
    report_type: str = ""
    defects: list[str] = field(default_factory=list)
    # The attachments kept so far, by file name (see Walker.add_attachment).
    seen: dict[str, list[ParsedAttachment]] = field(default_factory=dict)


def content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except (ValueError, IndexError, AttributeError, TypeError):
        return "application/octet-stream"
    return ctype if re.fullmatch(r"[\w.+-]+/[\w.+-]+", ctype) else "application/octet-stream"


def disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except (ValueError, IndexError, AttributeError, TypeError):
        return ""


def charset_of(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except (ValueError, IndexError, AttributeError, TypeError):
        return None
    if isinstance(value, tuple):
        value = value[2]
    return str(value) if value else None


def payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError, LookupError):
        data = None
    if data is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("ascii", "surrogateescape")
        return b""
    return data


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next line of
    the same quote depth."""
    out: list[str] = []
    buffer = ""
    buffer_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        quote, content = line[:depth], line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if buffer and depth != buffer_depth:
            out.append(buffer)
            buffer = ""
        if content.endswith(" ") and content != "-- ":
            buffer = (buffer or quote + (" " if quote else "")) + (
                content[:-1] if delsp else content
            )
            buffer_depth = depth
        else:
            out.append((buffer or quote + (" " if quote and content else "")) + content)
            buffer = ""
    if buffer:
        out.append(buffer)
    return "\n".join(out)


def part_text(part: Message, hints: tuple[str, ...], defects: list[str]) -> str:
    data = payload_bytes(part)
    label = charset_of(part)
    if label is None and content_type(part) == "text/html":
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w:.-]+)", data[:4096], re.IGNORECASE)
        label = meta.group(1).decode("ascii") if meta else None
    text, note = decode_text(data, label, hints)
    if note:
        defects.append(note)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        flowed = (part.get_param("format") or "").lower() == "flowed"
        delsp = (part.get_param("delsp") or "").lower() == "yes"
    except (ValueError, IndexError, AttributeError, TypeError):
        flowed = delsp = False
    if flowed and content_type(part) == "text/plain":
        text = unflow(text, delsp)
    return text


def message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=_SERIALIZE)
    except (ValueError, TypeError, IndexError, AttributeError, LookupError, UnicodeError):
        return message.as_string(policy=_SERIALIZE).encode("utf-8", "surrogateescape")


class Walker:
    def __init__(self, hints: tuple[str, ...], *, message_files: bool = True) -> None:
        self.hints = hints
        # False: attached messages are listed without their bytes (see walk_message).
        self.message_files = message_files
        self.out = Collected()
        self._digests: dict[int, str] = {}

    def _digest(self, attachment: ParsedAttachment) -> str:
        found = self._digests.get(id(attachment))
        if found is None:
            found = hashlib.sha1(attachment.content).hexdigest()  # noqa: S324
            self._digests[id(attachment)] = found
        return found

    def add_attachment(self, part: Message | None, attachment: ParsedAttachment) -> None:
        # The same name and the same bytes (by SHA-1): the same file reached through two
        # alternatives, kept once. Names are compared first, so bytes are hashed (and an
        # attached message's made, see RenderedOnRead) only when a name comes again.
        kept = self.out.seen.setdefault(attachment.filename, [])
        if kept and any(self._digest(other) == self._digest(attachment) for other in kept):
            return
        kept.append(attachment)
        self.out.attachments.append(attachment)

    def _name(self, part: Message, ctype: str, subject: str = "") -> str:
        name = clean_filename(raw_filename(part, self.hints))
        if not name:
            name = default_filename(ctype, len(self.out.attachments) + 1, subject)
        elif "." not in name and ctype != "application/octet-stream":
            name += extension_for(ctype)
        return name

    def _content_id(self, part: Message) -> str:
        value = decode_header(raw_header(part, "content-id"), self.hints)
        return value.strip().strip("<>").strip()

    def leaf_as_attachment(
        self,
        part: Message,
        ctype: str,
        content: bytes | None = None,
        render: Callable[[], bytes] | None = None,
    ) -> None:
        """`render`, when given, makes the content when it is first read."""
        cid = self._content_id(part)
        name = self._name(part, ctype)
        inline = disposition(part) == "inline" or (bool(cid) and disposition(part) == "")
        if render is not None:
            self.add_attachment(part, RenderedOnRead(name, ctype, render, cid, inline))
            return
        data = payload_bytes(part) if content is None else content
        self.add_attachment(part, ParsedAttachment(name, ctype, data, cid, inline))

    def walk(self, part: Message, *, in_report: bool = False) -> None:
        self.out.defects.extend(_defect_names(part))
        ctype = content_type(part)
        if part.is_multipart() and not ctype.startswith("message/"):
            subtype = ctype.split("/", 1)[1]
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if subtype == "alternative":
                self._walk_alternative(children, in_report)
                return
            if subtype == "report":
                self.out.report_type = str(part.get_param("report-type") or "").lower()
                in_report = True
            for child in children:
                self.walk(child, in_report=in_report)
            return
        if ctype in _MESSAGE_TYPES:
            self._walk_message(part, ctype, in_report)
        elif ctype.startswith("message/") and ctype not in _HEADER_BLOCK_TYPES:
            # external-body, partial, news...: kept whole as a file.
            payload = part.get_payload()
            if isinstance(payload, list):
                content = b"".join(message_bytes(m) for m in payload if isinstance(m, Message))
                self.leaf_as_attachment(part, ctype, content)
            else:
                self.leaf_as_attachment(part, ctype)
        elif ctype in _HEADER_BLOCK_TYPES:
            self._walk_header_blocks(part, ctype)
        elif ctype == "application/ms-tnef" or (
            ctype == "application/octet-stream" and raw_filename(part).lower() == "winmail.dat"
        ):
            self._walk_tnef(part, ctype)
        elif ctype in _BODY_TYPES and self._is_body(part):
            text = part_text(part, self.hints, self.out.defects)
            (self.out.texts if ctype == "text/plain" else self.out.htmls).append(text)
        else:
            self.leaf_as_attachment(part, ctype)

    def _is_body(self, part: Message) -> bool:
        disp = disposition(part)
        # A named text part is a file the sender attached, even when shown inline.
        return disp != "attachment" and not raw_filename(part, self.hints)

    def _walk_alternative(self, children: list[Message], in_report: bool) -> None:
        # Show the last (richest) HTML-bearing alternative and the last plain one;
        # alternatives we show neither way are kept as files.
        def has(child: Message, wanted: str) -> bool:
            return any(content_type(p) == wanted for p in child.walk())

        html_child = next((c for c in reversed(children) if has(c, "text/html")), None)
        text_child = next(
            (c for c in reversed(children) if content_type(c) == "text/plain"), None
        ) or next((c for c in children if has(c, "text/plain") and c is not html_child), None)
        for child in children:
            if child is html_child or child is text_child:
                self.walk(child, in_report=in_report)
            elif not child.is_multipart() and content_type(child) in _BODY_TYPES:
                self.leaf_as_attachment(child, content_type(child))
            else:
                self.walk(child, in_report=in_report)

    def _walk_message(self, part: Message, ctype: str, in_report: bool) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            self.leaf_as_attachment(part, ctype)
            return
        subject = decode_header(raw_header(inner, "subject"), self.hints)
        name = clean_filename(raw_filename(part, self.hints))
        if not name:
            name = default_filename(ctype, len(self.out.attachments) + 1, subject)
        elif not name.lower().endswith(".eml"):
            name += ".eml"
        if self.message_files:
            attachment: ParsedAttachment = RenderedOnRead(name, ctype, lambda: message_bytes(inner))
        else:
            attachment = ParsedAttachment(filename=name, content_type=ctype, content=b"")
        self.add_attachment(part, attachment)
        self.out.messages.append((inner, in_report))

    def _walk_header_blocks(self, part: Message, ctype: str) -> None:
        payload = part.get_payload()
        blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
        self.out.report_blocks.extend(blocks)
        if not self.out.report_type:  # a report part outside multipart/report
            self.out.report_type = ctype.split("/", 1)[1].removeprefix("global-")
        if not blocks:
            self.leaf_as_attachment(part, ctype, payload_bytes(part))
            return
        # Written back to bytes only if stored (see RenderedOnRead): bounces carry these.
        self.leaf_as_attachment(
            part,
            ctype,
            render=lambda: b"\n".join(
                message_bytes(block).rstrip(b"\n") + b"\n" for block in blocks
            ),
        )

    def _walk_tnef(self, part: Message, ctype: str) -> None:
        data = payload_bytes(part)
        try:
            files, body = extract_tnef(data)
        except (TnefError, ValueError, IndexError):
            files, body = [], ""
        if not files:
            self.leaf_as_attachment(part, ctype, data)
            if body.strip():
                self.out.texts.append(body)
            return
        self.out.defects.append(f"files taken out of winmail.dat ({len(files)})")
        for index, found in enumerate(files, 1):
            ftype = found.content_type or "application/octet-stream"
            name = clean_filename(found.filename) or f"attachment-{index}{extension_for(ftype)}"
            self.add_attachment(None, ParsedAttachment(name, ftype, found.content))
        if body.strip():
            self.out.texts.append(body)


def _defect_names(part: Message) -> list[str]:
    return [type(defect).__name__ for defect in getattr(part, "defects", [])]


def walk_message(
    message: EmailMessage | Message, hints: tuple[str, ...], *, message_files: bool = True
) -> Collected:
    """message_files=False leaves attached messages' content empty: writing a message
    back to bytes is the costliest step of a walk, and a forwarded message's own
    attachments are never stored (only its text joins the outer mail)."""
    walker = Walker(hints, message_files=message_files)
    walker.walk(message)
    return walker.out
