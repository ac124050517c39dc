"""Keep search documents in step with tickets, messages, people (and, through kb,
articles). Each function reads fresh rows by id and writes one document; the backend's
triggers update the full-text index in the same transaction."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from deskline.accounts.models import User
from deskline.search.access import document_access, kind_access
from deskline.search.models import Kind, SearchDocument
from deskline.search.text import detect_language, index_text
from deskline.tickets.models import Message, Ticket

# Snippets come from this much text; tokens cover all of it.
SNIPPET_SOURCE_CHARS = 4000
# A ticket's document holds its subject and public messages up to this many chars.
TICKET_TEXT_CHARS = 50_000

# kind → function re-indexing every object of that kind (apps add theirs, e.g. kb).
reindexers: dict[str, Callable[[], int]] = {}


def document_values(
    *,
    title: str,
    body: str,
    desk_id: int | None,
    ticket_id: int | None = None,
    status: str = "",
    language: str = "",
    internal: bool = False,
    created_at: datetime | None = None,
    access: str = "",
) -> dict[str, Any]:
    """The fields of a search document (tokens included), for one write or many."""
    return {
        "access": access,
        "desk_id": desk_id,
        "ticket_id": ticket_id,
        "status": status,
        "language": language or detect_language(f"{title}\n{body}"),
        "internal": internal,
        "title": title[:500],
        "text": body[:SNIPPET_SOURCE_CHARS],
        "tokens_title": index_text(title),
        "tokens_body": index_text(body),
        "created_at": created_at or timezone.now(),
        "indexed_at": timezone.now(),
    }


def save_document(
    kind: str,
    object_id: int,
    *,
    title: str,
    body: str,
    desk_id: int | None,
    ticket_id: int | None = None,
    status: str = "",
    language: str = "",
    internal: bool = False,
    created_at: datetime | None = None,
    access: str = "",
) -> SearchDocument:
    values = document_values(
        access=access or kind_access(kind),
        title=title,
        body=body,
        desk_id=desk_id,
        ticket_id=ticket_id,
        status=status,
        language=language,
        internal=internal,
        created_at=created_at,
    )
    document, _ = SearchDocument.objects.update_or_create(
        kind=kind, object_id=object_id, defaults=values
    )
    return document


def remove_document(kind: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def _ticket_text(ticket: Ticket) -> str:
    parts: list[str] = []
    size = 0
    public = Message.objects.filter(ticket=ticket, internal=False).order_by("created_at", "id")
    for body in public.values_list("body_text", flat=True).iterator():
        parts.append(body)
        size += len(body)
        if size >= TICKET_TEXT_CHARS:
            break
    return "\n".join(parts)[:TICKET_TEXT_CHARS]


def _ticket_access(ticket: Ticket, *, internal: bool = False) -> str:
    return document_access(
        ticket.desk_id, ticket.requester_id, ticket.organization_id, internal=internal
    )


def index_ticket(ticket_id: int) -> None:
    """The ticket (subject + public messages) and the desk/status its messages carry."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        SearchDocument.objects.filter(ticket_id=ticket_id).delete()
        return
    access = _ticket_access(ticket)
    with transaction.atomic():
        save_document(
            Kind.TICKET,
            ticket.pk,
            title=f"{ticket.number} {ticket.subject}",
            body=_ticket_text(ticket),
            desk_id=ticket.desk_id,
            ticket_id=ticket.pk,
            status=ticket.status,
            created_at=ticket.created_at,
            access=access,
        )
        # A moved or re-statused ticket moves its messages with it (and their access
        # tokens: the desk's, plus the requester's on public messages).
        messages = SearchDocument.objects.filter(kind=Kind.MESSAGE, ticket_id=ticket.pk)
        for internal in (False, True):
            tokens = _ticket_access(ticket, internal=internal)
            messages.filter(internal=internal).exclude(
                desk_id=ticket.desk_id, status=ticket.status, access=tokens
            ).update(desk_id=ticket.desk_id, status=ticket.status, access=tokens)


def index_message(message_id: int) -> None:
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None:
        remove_document(Kind.MESSAGE, message_id)
        return
    ticket = message.ticket
    save_document(
        Kind.MESSAGE,
        message.pk,
        title=ticket.subject,
        body=message.body_text,
        desk_id=ticket.desk_id,
        ticket_id=ticket.pk,
        status=ticket.status,
        internal=message.internal,
        created_at=message.created_at,
        access=_ticket_access(ticket, internal=message.internal),
    )


def index_user(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        remove_document(Kind.USER, user_id)
        return
    organization = user.organization.name if user.organization_id else ""
    save_document(
        Kind.USER,
        user.pk,
        title=user.name or user.email,
        body=f"{user.email} {user.email.split('@')[0]} {organization} {user.phone}",
        desk_id=None,
        language=user.language[:2],
        created_at=user.created_at,
    )


def _each(ids: Iterable[int], index: Callable[[int], None]) -> int:
    count = 0
    for object_id in ids:
        index(object_id)
        count += 1
    return count


def reindex_users() -> int:
    return _each(User.objects.order_by("pk").values_list("pk", flat=True).iterator(), index_user)


reindexers[Kind.USER] = reindex_users


def reindex(kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Rebuild the documents of the given kinds (all by default); returns counts."""
    wanted = list(kinds) if kinds else list(reindexers)
    return {kind: reindexers[kind]() for kind in wanted}
