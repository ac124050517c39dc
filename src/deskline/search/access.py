"""Access tokens: who may find a ticket or message, kept in the full-text index.

Each ticket and message document carries tokens (SearchDocument.access) naming the
groups that may see it, mirroring tickets.access.visible_tickets_for_user:
"d<desk>" for the desk's agents, "r<requester>" for its requester and "o<organization>"
for the ticket's organization (its members see it when their organization shares
tickets). Internal notes carry the desk token only: only the desk's agents read them.
Articles and people carry their kind ("article", "user"; kind_access).

A search asks the index for documents holding the words *and* one of the user's
tokens, so a scan for the newest matches walks only what the user may see, however
many matches other desks or other requesters hold. The tokens only narrow the scan:
permissions.visible_documents_condition still runs in the same query, so a stale
token can hide a document until it is re-indexed, never show one. Followed tickets
have no token (following changes without re-indexing): search reads them apart
(followed_ticket_ids), as few as they are.
"""

from deskline.accounts.models import User
from deskline.search.backends.base import FEW_KINDS
from deskline.tickets.access import agent_desk_ids
from deskline.tickets.models import TicketFollower


def document_access(
    desk_id: int | None,
    requester_id: int | None,
    organization_id: int | None,
    *,
    internal: bool = False,
) -> str:
    """The access tokens of a ticket's or message's document."""
    tokens = [f"d{desk_id}"] if desk_id is not None else []
    if not internal:
        if requester_id is not None:
            tokens.append(f"r{requester_id}")
        if organization_id is not None:
            tokens.append(f"o{organization_id}")
    return " ".join(tokens)


def kind_access(kind: str) -> str:
    """Articles and people carry their kind as token: who may see them is decided by
    the permission condition alone, the token only lets the index hand out matches
    of these few kinds without reading the many tickets and messages."""
    return kind if kind in FEW_KINDS else ""


def user_tokens(user: User, desk_ids: tuple[int, ...] = ()) -> list[str] | None:
    """Tokens of which a ticket or message document must hold one for this user to
    see it (besides followed tickets); None when no token is needed (an admin with no
    desk filter). desk_ids: the search's desk filter, which narrows the desk tokens
    (the requester tokens' documents are filtered by desk in the query itself)."""
    if not (user.is_authenticated and user.is_active):
        return []
    if user.is_superuser:
        return [f"d{d}" for d in desk_ids] if desk_ids else None
    desks = agent_desk_ids(user)
    if desk_ids:
        desks = [d for d in desks if d in desk_ids]
    tokens = [f"d{d}" for d in sorted(desks)] + [f"r{user.pk}"]
    if user.organization_id is not None and user.organization.shared_tickets:
        tokens.append(f"o{user.organization_id}")
    return tokens


def followed_ticket_ids(user: User) -> list[int]:
    if not (user.is_authenticated and user.is_active) or user.is_superuser:
        return []
    return list(TicketFollower.objects.filter(user_id=user.pk).values_list("ticket_id", flat=True))
