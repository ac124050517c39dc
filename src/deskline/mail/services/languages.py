"""Which of Deskline's languages a requester first met through a mail speaks.

Most mail carries no Content-Language, so the text's language decides when the
detector is sure, and the desk's language otherwise: the acknowledgement and later
mail then go out in a language the requester can read.
"""

from django.conf import settings

from deskline.mail.parsing import ParsedMail
from deskline.triage.ml.language import detect_language

# Below this the detector is guessing (short text, ids, mixed scripts).
MIN_CONFIDENCE = 0.6
_SAMPLE = 2000


def known_language(code: str) -> str:
    """A language Deskline speaks from a language tag ("zh-CN", "ar-EG"), or ""."""
    primary = (code or "").split(",")[0].strip().lower()
    known = {c for c, _ in settings.LANGUAGES}
    if primary in known:
        return primary
    base = primary.split("-")[0]
    if base == "zh":
        return "zh-hans"
    return base if base in known else ""


def requester_language(parsed: ParsedMail, desk_language: str = "") -> str:
    """The language for the requester ("" lets the account default apply)."""
    declared = known_language(parsed.language)
    if declared:
        return declared
    detected = detect_language(f"{parsed.subject}\n{parsed.text_body[:_SAMPLE]}")
    if detected.confidence >= MIN_CONFIDENCE and known_language(detected.code):
        return known_language(detected.code)
    return known_language(desk_language)
