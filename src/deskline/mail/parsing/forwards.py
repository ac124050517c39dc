"""Who wrote the original of a forwarded mail (attached .eml or forwarded inline)."""

import re

from deskline.core.emails import normalize_email

_FORWARD_SUBJECT = re.compile(
    r"^\s*(\[[^\]]*\]\s*)?(fwd?|fw|wg|tr|rv|enc|i|doorst|vs|vb|转发|轉寄|转寄|إعادة توجيه|"
    r"トランスファー|転送)\s*[:：]",
    re.IGNORECASE,
)
# Marker lines that always mean "what follows is someone else's mail".
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|"
    r"пересылаемое сообщение|转发的邮件|رسالة معاد توجيهها)\s*-{2,}|"
    r"begin forwarded message\s*:|anfang der weitergeleiteten nachricht\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
# Used in replies as well: a forward only when the subject says so.
_ORIGINAL_MARKER = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|原始邮件|"
    r"الرسالة الأصلية)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FROM_LINE = re.compile(
    r"^\s*>?\s*\**\s*(from|von|de|van|da|от|od|från|fra|发件人|寄件者|寄件人|差出人|من)\s*\**\s*[:：]"
    r"\s*\**(.+)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def parse_from_value(value: str) -> tuple[str, str] | None:
    """ "Name <a@b>", "Name [mailto:a@b]", "a@b", "Name a@b" → (name, email)."""
    match = _EMAIL.search(value)
    if not match:
        return None
    email = normalize_email(match.group(0))
    name = (value[: match.start()] + " " + value[match.end() :]).replace("mailto:", "")
    name = re.sub(r"\s+on behalf of\s.*$", "", name, flags=re.IGNORECASE)
    name = re.sub(r"[<>\[\]()\"*]", " ", name)
    name = re.sub(r"\s+", " ", name).strip(" '\"")
    if name.lower() == email:
        name = ""
    return name, email


def _from_after(text: str, start: int) -> tuple[str, str] | None:
    lines = text[start:].split("\n")[:12]
    for i, line in enumerate(lines):
        match = _FROM_LINE.match(line)
        if match:
            value = match.group(2)
            # Outlook wraps long From lines; the address may be on the next line.
            found = parse_from_value(value) or (
                parse_from_value(value + " " + lines[i + 1]) if i + 1 < len(lines) else None
            )
            if found:
                return found
    return None


def inline_forward_sender(text: str, subject: str) -> tuple[str, str] | None:
    marker = _FORWARD_MARKER.search(text)
    if marker:
        return _from_after(text, marker.end())
    if not _FORWARD_SUBJECT.match(subject):
        return None
    marker = _ORIGINAL_MARKER.search(text)
    if marker:
        return _from_after(text, marker.end())
    # Outlook without a marker: a From: line followed by Sent:/Date: within two lines.
    for match in re.finditer(r"^\s*\**\s*(from|von|de)\s*\**\s*:", text, re.I | re.M):
        window = text[match.start() : match.start() + 400]
        if re.search(
            r"\n\s*\**\s*(sent|date|gesendet|datum|envoyé|enviado)\s*\**\s*:", window, re.I
        ):
            return _from_after(text, match.start())
    return None


def is_forward_subject(subject: str) -> bool:
    return bool(_FORWARD_SUBJECT.match(subject))
