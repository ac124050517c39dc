"""Mail that no person wrote: answering it could start a mail loop (RFC 3834)."""

import re
from email.message import Message

from .bounces import is_daemon_sender
from .headers import decode_header, raw_header

# Only unambiguous wordings: "Vacation request" is a real ticket on an HR desk.
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|"
    r"abwesenheitsnotiz|réponse automatique|respuesta automática|risposta automatica|"
    r"automatisch antwoord|autosvar|自动回复|自動回覆|自動応答|رد تلقائي)",
    re.IGNORECASE,
)


def _header(message: Message, name: str) -> str:
    return decode_header(raw_header(message, name)).lower()


def automated_reason(
    message: Message,
    *,
    report_type: str,
    has_bounce: bool,
    from_name: str,
    from_email: str,
    subject: str,
    null_sender: bool,
) -> str:
    """Why this mail is automated, most specific first; "" for mail from a person."""
    if has_bounce:
        return "bounce"
    if report_type == "feedback-report":
        return "feedback-report"
    if report_type == "disposition-notification":
        return "read-receipt"
    if report_type:
        return "report"
    auto_submitted = _header(message, "auto-submitted")
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto-reply" if auto_submitted.startswith("auto-replied") else "auto-generated"
    if raw_header(message, "x-autoreply") or raw_header(message, "x-autorespond"):
        return "auto-reply"
    if _AUTO_REPLY_SUBJECT.match(subject):
        return "auto-reply"
    suppress = _header(message, "x-auto-response-suppress")
    if suppress and re.search(r"\b(all|oof|autoreply)\b", suppress):
        return "auto-generated"
    precedence = _header(message, "precedence")
    if precedence in {"bulk", "junk"}:
        return "bulk"
    if (
        precedence == "list"
        or raw_header(message, "list-id")
        or raw_header(message, "list-unsubscribe")
    ):
        return "list"
    if null_sender:
        return "null-sender"
    if is_daemon_sender(from_name, from_email):
        return "mailer-daemon"
    return ""
