"""The text triage reads from a ticket: its subject and its first message."""

from deskline.tickets.models import Message, Ticket
from deskline.triage.ml.text import join_fields

# Long bodies add little after the first screens of text and cost prediction time.
MAX_BODY = 4000


def ticket_text(ticket: Ticket) -> str:
    first = (
        Message.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
        .first()
    )
    return join_fields([ticket.subject, (first or "")[:MAX_BODY]])


def ticket_texts(tickets: list[Ticket]) -> dict[int, str]:
    """Texts of many tickets (first message per ticket), a query per thousand."""
    firsts: dict[int, str] = {}
    ids = [t.pk for t in tickets]
    for start in range(0, len(ids), 1000):  # stays under SQLite's bound-parameter limit
        rows = (
            Message.objects.filter(ticket__in=ids[start : start + 1000])
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "body_text")
        )
        for ticket_id, body in rows:
            firsts.setdefault(ticket_id, (body or "")[:MAX_BODY])
    return {t.pk: join_fields([t.subject, firsts.get(t.pk, "")]) for t in tickets}
