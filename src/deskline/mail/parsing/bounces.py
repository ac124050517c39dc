"""Bounces: RFC 3464 delivery-status reports first, then the common MTA phrasings."""

import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from deskline.core.emails import normalize_email

from .headers import decode_header, message_ids, parse_addresses, raw_header
from .reasons import HARD_REASONS, classify
from .types import Bounce, ParsedAttachment

BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status notification|failure|failed|has failed|problem|"
    r"notification|report)|returned mail|failure notice|mail delivery (failed|failure|"
    r"system|subsystem)|non.?deliver|could not be delivered|not delivered|mail system error|"
    r"delivery status|message not delivered|nicht zustellbar|unzustellbar|non remis|"
    r"échec de (la )?remise|unable to deliver|rejected|bounce|delivery error|"
    r"warning: could not send|mail failure|error sending|status of your message|"
    r"delayed mail|delivery delayed|delivery notification|fehlgeschlagen|"
    r"配信エラー|送信エラー|未送達|退信|被退回|失败",
    re.IGNORECASE,
)
_DAEMON = re.compile(
    r"^(mailer-daemon|mailer_daemon|postmaster|mail-daemon|mail\.daemon|mailerdaemon|"
    r"mdaemon|mail delivery subsystem|mail delivery system|mail administrator)(@|$)",
    re.IGNORECASE,
)
_STATUS_CODE = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])([45]\d\d)[ -]")
_ADDRESS = re.compile(r"[\w.+'=/-]+@[\w-]+(?:\.[\w-]+)+")
# Where MTAs start quoting the original message; the error is above it.
_ORIGINAL_START = re.compile(
    r"^(-+ ?(this is a copy|below this line|original message|returned message|"
    r"message header|original headers|headers of|the header)|.*original message follows|"
    r"received: |return-path: |content-type: message/rfc822)",
    re.IGNORECASE | re.MULTILINE,
)


def is_daemon_sender(name: str, address: str) -> bool:
    return bool(_DAEMON.match(address) or _DAEMON.match(name))


def _block_value(block: Message, name: str) -> str:
    text = decode_header(raw_header(block, name))
    return text.split(";", 1)[1].strip() if ";" in text[:20] else text.strip()


def _from_report(blocks: list[Message]) -> Bounce | None:
    """The first failed (else delayed, else any) recipient of a delivery-status report."""
    recipients = [
        b for b in blocks if raw_header(b, "final-recipient") or raw_header(b, "original-recipient")
    ]
    if not recipients:
        return None
    order = {"failed": 0, "delayed": 1}
    recipients.sort(key=lambda b: order.get(_block_value(b, "action").lower(), 2))
    block = recipients[0]
    address = _block_value(block, "final-recipient") or _block_value(block, "original-recipient")
    found = _ADDRESS.search(address)
    recipient = normalize_email(found.group(0)) if found else ""
    status_match = _STATUS_CODE.search(_block_value(block, "status"))
    status = status_match.group(1) if status_match else ""
    diagnostic = _block_value(block, "diagnostic-code")
    action = _block_value(block, "action").lower()
    if action in {"delivered", "relayed", "expanded"} and not status:
        status = "2.0.0"
    return Bounce(recipient=recipient, status=status, reason=diagnostic, hard=False)


def _error_text(text: str) -> str:
    match = _ORIGINAL_START.search(text)
    return text[: match.start()] if match and match.start() > 40 else text


def _recipient_from_text(text: str, excluded: set[str]) -> str:
    for found in _ADDRESS.finditer(text):
        address = normalize_email(found.group(0).strip("."))
        local = address.split("@", 1)[0]
        if address in excluded or _DAEMON.match(address) or local in {"mailer-daemon"}:
            continue
        return address
    return ""


def find_bounce(
    message: Message,
    *,
    report_type: str,
    report_blocks: list[Message],
    text: str,
    from_name: str,
    from_email: str,
    subject: str,
    null_sender: bool,
) -> Bounce | None:
    """A Bounce for delivery reports and for mail that reads like one, else None."""
    is_report = report_type in {"delivery-status", "global-delivery-status"}
    failed_header = decode_header(raw_header(message, "x-failed-recipients"))
    looks_like = bool(failed_header) or (
        (is_daemon_sender(from_name, from_email) or null_sender or BOUNCE_SUBJECT.search(subject))
        and bool(BOUNCE_SUBJECT.search(subject) or _STATUS_CODE.search(text))
        and not re.search(r"auto.?(reply|response)|out of (the )?office|vacation", subject, re.I)
    )
    if not is_report and not looks_like:
        return None
    from_report = _from_report(report_blocks) if report_blocks else None
    error_text = _error_text(text)
    excluded = {from_email} | {a for _, a in parse_addresses(raw_header(message, "to"))}
    recipient = from_report.recipient if from_report else ""
    if not recipient and failed_header:
        found = _ADDRESS.search(failed_header)
        recipient = normalize_email(found.group(0)) if found else ""
    if not recipient:
        recipient = _recipient_from_text(error_text, excluded - {""})
    status = from_report.status if from_report else ""
    diagnostic = from_report.reason if from_report else ""
    if not status:
        found_status = _STATUS_CODE.search(diagnostic) or _STATUS_CODE.search(error_text)
        status = found_status.group(1) if found_status else ""
    elif status.endswith(".0.0"):
        # A generic report status: the diagnostic often carries the precise one.
        precise = _STATUS_CODE.search(diagnostic)
        if precise and precise.group(1)[0] == status[0]:
            status = precise.group(1)
    words = diagnostic if diagnostic.strip() else error_text
    reason = classify(status, words)
    if reason in {"undefined", "onhold"} and diagnostic:
        reason = classify(status, error_text) or reason
    if not status:
        reply = _REPLY_CODE.search(diagnostic or error_text)
        if reply:
            status = f"{reply.group(1)[0]}.0.0"
    hard = reason in HARD_REASONS and not status.startswith("4")
    return Bounce(recipient=recipient, status=status, reason=reason, hard=hard)


_QUOTED_ID = re.compile(r"^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def returned_message_ids(
    messages: list[Message], attachments: list[ParsedAttachment], text: str
) -> list[str]:
    """The Message-ID of the mail a bounce returns: from the original attached whole
    (message/rfc822), its headers (text/rfc822-headers) or its headers quoted in the
    text (Exim, qmail). A bounce seldom has In-Reply-To; this is how it finds its ticket."""
    found: list[str] = []
    for inner in messages:
        found += message_ids(raw_header(inner, "message-id"))
    for attachment in attachments:
        if attachment.content_type == "text/rfc822-headers":
            head = BytesHeaderParser(policy=compat32).parsebytes(attachment.content)
            found += message_ids(str(head.get("message-id", "")))
    quoted = _ORIGINAL_START.search(text)
    if not found and quoted:
        found += [m.strip("<>") for m in _QUOTED_ID.findall(text, quoted.start())]
    return list(dict.fromkeys(found))
