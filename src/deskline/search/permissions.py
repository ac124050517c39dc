"""Which search documents a user may find, as one SQL condition (never a filter after
fetching). Tickets and messages use tickets.access.visible_tickets_for_user as a
correlated EXISTS, so search can never show a ticket the ticket list would not."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from deskline.accounts.models import User
from deskline.desks.models import Desk, Visibility
from deskline.search.models import Kind
from deskline.tickets.access import agent_desk_ids, is_agent_anywhere, visible_tickets_for_user

PUBLISHED = "published"


def open_desks_condition(user: User, prefix: str = "desk__") -> Q:
    """Desks whose public content this user may read (tickets.access.can_see_desk)."""
    condition = Q(**{f"{prefix}visibility": Visibility.EXTERNAL})
    if user.is_authenticated and user.is_active and user.is_employee:
        condition |= Q(**{f"{prefix}visibility": Visibility.INTERNAL})
    return condition & Q(**{f"{prefix}is_active": True})


def visible_documents_condition(user: User, kinds: Iterable[str] | None = None) -> Q:
    """kinds: only documents of these kinds (all when None). Leaving out the other
    kinds' terms keeps the condition simple enough for the planner to estimate."""
    wanted = set(Kind.values if kinds is None else kinds)
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Q() if kinds is None else Q(kind__in=sorted(wanted))
    signed_in = user.is_authenticated and user.is_active
    agent_desks = agent_desk_ids(user) if signed_in else []
    nothing = Q(pk__in=[])
    condition = nothing
    if Kind.ARTICLE in wanted:
        # The open desks as a subquery, not a join: joined, the desk was read for each
        # matching article (3,000 of them for three common words in a large KB).
        open_desks = Desk.objects.filter(open_desks_condition(user, prefix="")).values("pk")
        public_articles = Q(
            kind=Kind.ARTICLE, status=PUBLISHED, internal=False, desk_id__in=open_desks
        )
        condition |= public_articles | Q(kind=Kind.ARTICLE, desk_id__in=agent_desks)
    if signed_in and wanted & {Kind.TICKET, Kind.MESSAGE}:
        visible_ticket = Exists(visible_tickets_for_user(user).filter(pk=OuterRef("ticket_id")))
        if Kind.TICKET in wanted:
            condition |= Q(kind=Kind.TICKET) & visible_ticket
        if Kind.MESSAGE in wanted:
            condition |= (
                Q(kind=Kind.MESSAGE)
                & visible_ticket
                & (Q(internal=False) | Q(desk_id__in=agent_desks))
            )
    if signed_in and Kind.USER in wanted and is_agent_anywhere(user):
        condition |= Q(kind=Kind.USER)
    return condition
