"""The language a ticket is written in, for routing it to agents who read it."""

from deskline.tickets.models import Ticket
from deskline.triage.ml import detect_language
from deskline.triage.models import Prediction
from deskline.triage.services.texts import ticket_text

LANGUAGE = "language"
# Below this the detector is guessing (a few words, mixed scripts): say nothing.
SURE = 0.5


def written_language(ticket: Ticket) -> str | None:
    """ISO 639-1 code of the ticket's text, or None when it cannot be told.

    Triage stores its detection when the ticket opens; routing may ask first (both run
    after the same commit), so detect from the text when nothing is stored yet.
    """
    stored = (
        Prediction.objects.filter(ticket=ticket, field=LANGUAGE)
        .values_list("label", "confidence")
        .first()
    )
    if stored is not None:
        code, confidence = stored
    else:
        found = detect_language(ticket_text(ticket))
        code, confidence = found.code, found.confidence
    if confidence < SURE or len(code) != 2:
        return None
    return code
