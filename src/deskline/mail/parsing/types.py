"""What the parser hands to the intake pipeline: plain data, no Django models."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


class MailParseError(ValueError):
    """The bytes are not a message we can read at all (the raw mail is kept as failed)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    # Set for parts an HTML body shows inline (<img src="cid:...">), without <>.
    content_id: str = ""
    inline: bool = False


class RenderedOnRead(ParsedAttachment):
    """An attachment whose bytes are made the first time they are read: an attached
    message written back to bytes, the costliest step of a walk, which only mail that
    becomes a ticket stores (bounces, which carry one, never do). Otherwise the same as
    a ParsedAttachment with those bytes."""

    def __init__(
        self,
        filename: str,
        content_type: str,
        render: Callable[[], bytes],
        content_id: str = "",
        inline: bool = False,
    ) -> None:
        super().__init__(filename, content_type, b"", content_id, inline)
        self._render: Callable[[], bytes] | None = render

    @property  # type: ignore[override]
    def content(self) -> bytes:
        if self._render is not None:
            self._content, self._render = self._render(), None
        return self._content

    @content.setter
    def content(self, value: bytes) -> None:
        self._content, self._render = value, None


@dataclass
class Bounce:
    """A delivery status notification (RFC 3464) or a bounce recognised otherwise."""

    recipient: str  # the address that failed, lower case; "" when unknown
    status: str  # DSN status code such as "5.1.1"; "" when unknown
    reason: str  # a short classification, e.g. "userunknown", "mailboxfull"
    hard: bool  # permanent failure: stop mailing the address


@dataclass
class ParsedMail:
    message_id: str  # without <>; "" when the message has none
    in_reply_to: list[str]  # message ids, without <>
    references: list[str]
    subject: str
    from_name: str
    from_email: str  # lower case; "" for a null/unknown sender
    reply_to: list[str]
    to: list[str]
    cc: list[str]
    date: datetime | None
    text_body: str  # the whole text (from text/plain, or derived from HTML)
    html_body: str  # sanitized HTML ("" when the mail had no HTML part); cid: URLs kept
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Header name (lower case) → value, for the headers worth keeping on the message.
    headers: dict[str, str] = field(default_factory=dict)
    # Why this is automated mail, or "" for mail written by a person:
    # "auto-reply", "bulk", "list", "bounce", "null-sender", "feedback-report"...
    automated: str = ""
    bounce: Bounce | None = None
    language: str = ""  # from Content-Language when given
    # Problems the parser worked around (bad charset, broken MIME); kept for admins.
    defects: list[str] = field(default_factory=list)
    # (name, email) of the original sender when this mail forwards another one (attached
    # .eml, or inline "Forwarded message" / Outlook header block); None otherwise.
    forwarded_from: tuple[str, str] | None = None
    reply_to_name: str = ""  # the display name of the first Reply-To address
