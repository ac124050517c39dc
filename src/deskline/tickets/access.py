"""Who may see and change tickets, messages and attachments.

This is the help desk's main security boundary: API, pages and channels ask these
helpers and nothing else. Roles are per desk (admin > supervisor > agent > light
agent); everyone else is a requester, who sees their own requests, those they follow
and, when their organization shares tickets, their organization's.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.accounts.sessions import live_session_user
from deskline.core import rows
from deskline.core.errors import Forbidden, NotFound, lazy_message
from deskline.core.ids import looks_numeric, parse_id, pk_or
from deskline.desks.models import CustomField, Desk, DeskMembership, Role, Visibility
from deskline.tickets.choices import Status
from deskline.tickets.models import (
    Attachment,
    Message,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketLink,
)

ADMIN = "admin"
REQUESTER = "requester"
# Roles that may change a ticket's fields and reply publicly.
EDITING_ROLES = {ADMIN, Role.SUPERVISOR, Role.AGENT}
AGENT_ROLES = EDITING_ROLES | {Role.LIGHT_AGENT}


def desk_roles(user: User) -> dict[int, str]:
    """desk id → role for this user, cached on the user object for the request."""
    cached = getattr(user, "_deskline_desk_roles", None)
    if cached is None:
        if user.pk is None:  # the ORM says why an unsaved user cannot be looked up
            found = DeskMembership.objects.filter(user=user).values_list("desk_id", "role")
            cached = dict(found)
        else:
            cached = _desk_roles(user.pk)
        user._deskline_desk_roles = cached  # type: ignore[attr-defined]
    return cached


def _desk_roles(user_id: int) -> dict[int, str]:
    # Plain SQL: every reply and mail asks the author's role under SQLite's write lock
    # (tickets.services.add_message), and building this read with the ORM cost several
    # times running it. The same rows, in the same (unordered) order.
    quote = connection.ops.quote_name
    meta = DeskMembership._meta
    desk, role, user = (quote(meta.get_field(name).column) for name in ("desk", "role", "user"))
    sql = f"SELECT {desk}, {role} FROM {quote(meta.db_table)} WHERE {user} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return dict(cursor.fetchall())


def role_on_desk(user: User, desk_id: int) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    return desk_roles(user).get(desk_id)


def is_agent_anywhere(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(desk_roles(user)))


def agent_desk_ids(user: User, *, editing: bool = False) -> list[int]:
    roles = EDITING_ROLES if editing else AGENT_ROLES
    return [desk_id for desk_id, role in desk_roles(user).items() if role in roles]


def may_manage_people(user: User) -> bool:
    """Who may create and change requesters' records and organizations: admins and the
    desks' editing roles. Light agents read them only (list, look up)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(agent_desk_ids(user, editing=True))


def can_see_desk(user: User, desk: Desk) -> bool:
    """Internal desks exist only for employees and the desk's own agents; to everyone
    else they answer like a desk that does not exist."""
    if desk.visibility != Visibility.INTERNAL:
        return True
    return user.is_authenticated and (user.is_employee or role_on_desk(user, desk.pk) is not None)


def _requester_condition(user: User) -> Q:
    condition = Q(requester_id=user.pk) | Q(
        Exists(TicketFollower.objects.filter(ticket=OuterRef("pk"), user_id=user.pk))
    )
    if user.organization_id is not None and user.organization.shared_tickets:
        condition |= Q(organization_id=user.organization_id)
    return condition


def visible_tickets_for_user(user: User) -> QuerySet[Ticket]:
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_superuser:
        return Ticket.objects.all()
    desks = agent_desk_ids(user)
    condition = _requester_condition(user)
    if desks:
        condition = Q(desk_id__in=desks) | condition
    return Ticket.objects.filter(condition)


def about_visible_tickets(rows: QuerySet, user: User) -> QuerySet:
    """rows (of a model with a nullable `ticket`, such as notifications) less those about
    a ticket the user may not see now: what they say of the ticket (its number, its
    subject) is the ticket's, whatever the user could see when the row was written."""
    visible = visible_tickets_for_user(user).filter(pk=OuterRef("ticket_id"))
    return rows.filter(Q(ticket__isnull=True) | Exists(visible))


def agent_desk_tickets(user: User) -> QuerySet[Ticket]:
    """The tickets of the desks where the user works as an agent: part of what
    visible_tickets_for_user gives, without the requester's alternatives (own, followed,
    organization), which make the database read every row to decide."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_superuser:
        return Ticket.objects.all()
    return Ticket.objects.filter(desk_id__in=agent_desk_ids(user))


def ticket_role(user: User, ticket: Ticket) -> str | None:
    """The user's role on this ticket, or None when they may not see it at all."""
    role = role_on_desk(user, ticket.desk_id)
    if role is not None:
        return role
    if not user.is_authenticated or not user.is_active:
        return None
    if ticket.requester_id == user.pk:
        return REQUESTER
    if (
        user.organization_id is not None
        and ticket.organization_id == user.organization_id
        and user.organization.shared_tickets
    ):
        return REQUESTER
    if TicketFollower.objects.filter(ticket=ticket, user=user).exists():
        return REQUESTER
    return None


def live_ticket_role(session_key: str | None, user_id: int, ticket_id: int) -> str | None:
    """The user's role on the ticket now, both read afresh (None: no access now).

    For a live-update connection, which keeps the user it read when it opened (their
    roles cached on it, is_active, organization) while access may have changed since,
    and the session it opened with, which may have ended since (live_session_user).
    Rows are read in plain SQL: this runs for every event of every open ticket page,
    and building the ORM's queries cost ~20 times running them (docs/benchmarks.md).
    """
    user = live_session_user(session_key, user_id)
    ticket = rows.first(Ticket, "pk", ticket_id)
    if user is None or ticket is None:
        return None
    return ticket_role(user, ticket)


def live_desk_access(session_key: str | None, user_id: int, desk_id: int) -> bool:
    """Whether the user works on the desk now (any agent role, or admin) and the session
    still signs them in: for each change a desk's live-update connection would pass on,
    read as live_ticket_role reads."""
    user = live_session_user(session_key, user_id)
    return user is not None and role_on_desk(user, desk_id) is not None


def _lookup(ticket_id: int | str) -> Q:
    value = str(ticket_id).strip()
    if looks_numeric(value):
        return pk_or(value, "number")
    return Q(number=value.upper())


def get_ticket_for_user(
    user: User, ticket_id: int | str, *, write: bool = False, field: str | None = None
) -> Ticket:
    """The ticket by id or number if the user may see it (and change it, with write=True).

    Tickets the user may not see are reported as missing, so ids reveal nothing: 404 for
    one named in the address; for one named by a body field (field="target"), bad input
    naming that field (422), as a reference to nothing is.
    """
    try:
        return _ticket_for_user(user, ticket_id, write=write)
    except NotFound:
        if field is None:
            raise
        raise ValidationError({field: lazy_message(_("no ticket %(id)s"), id=ticket_id)}) from None


def _ticket_for_user(user: User, ticket_id: int | str, *, write: bool) -> Ticket:
    ticket = (
        Ticket.objects.select_related(
            "desk", "requester", "assignee", "team", "category", "organization", "custom_status"
        )
        .filter(_lookup(ticket_id))
        .first()
    )
    if ticket is None:
        raise NotFound(lazy_message(_("ticket %(id)s not found"), id=ticket_id))
    role = ticket_role(user, ticket)
    if role is None:
        raise NotFound(lazy_message(_("ticket %(id)s not found"), id=ticket_id))
    if write and role not in EDITING_ROLES:
        raise Forbidden(
            lazy_message(_("you may not change ticket %(ticket)s"), ticket=ticket.number)
        )
    ticket.viewer_role = role  # type: ignore[attr-defined]
    return ticket


def can_edit_ticket(user: User, ticket: Ticket) -> bool:
    return ticket_role(user, ticket) in EDITING_ROLES


def is_own_request(user: User, ticket: Ticket) -> bool:
    """Whether the user asked for this ticket: the one requester-side person who may
    also mark it solved (as in Zendesk); followers and organization colleagues read
    and reply only."""
    return user.is_authenticated and user.is_active and ticket.requester_id == user.pk


def check_can_update_ticket(user: User, ticket: Ticket, changes: dict) -> None:
    """Whether the user may make these field changes (tickets.services.update_ticket keys).

    The desk's editing roles change anything; the requester may only mark their own
    request solved; anyone else who can see the ticket may change nothing.
    """
    role = ticket_role(user, ticket)
    if role is None:
        raise NotFound(lazy_message(_("ticket %(id)s not found"), id=ticket.pk))
    if role in EDITING_ROLES:
        return
    if role == REQUESTER and is_own_request(user, ticket) and _only_solving(changes):
        return
    raise Forbidden(lazy_message(_("you may not change ticket %(ticket)s"), ticket=ticket.number))


def _only_solving(changes: dict) -> bool:
    return set(changes) == {"status"} and str(changes["status"]).strip().lower() == Status.SOLVED


def check_can_add_message(user: User, ticket: Ticket, *, internal: bool) -> None:
    role = ticket_role(user, ticket)
    if role is None:
        raise NotFound(lazy_message(_("ticket %(id)s not found"), id=ticket.pk))
    if internal and role not in AGENT_ROLES:
        raise Forbidden(_("only agents may add internal notes"))
    if not internal and role == Role.LIGHT_AGENT:
        raise Forbidden(_("light agents may add internal notes only"))


def hidden_fields_by_desk(user: User, desk_ids: set[int]) -> dict[int, set[str]]:
    """Keys of the custom fields the user may not see, per desk: a desk's agents see
    them all; requesters don't see those marked not visible to requesters."""
    outside = {d for d in desk_ids if role_on_desk(user, d) is None}
    hidden: dict[int, set[str]] = {}
    if outside:
        rows = CustomField.objects.filter(desk_id__in=outside, visible_to_requester=False)
        for desk_id, key in rows.values_list("desk_id", "key"):
            hidden.setdefault(desk_id, set()).add(key)
    return hidden


def check_can_upload(user: User, ticket: Ticket) -> None:
    """Whoever may add some message to the ticket may upload a file for it; which
    message it can be sent with (public or internal) is checked when it is sent."""
    if ticket_role(user, ticket) is None:
        raise NotFound(lazy_message(_("ticket %(id)s not found"), id=ticket.pk))


def sees_internal(user: User, ticket: Ticket) -> bool:
    return ticket_role(user, ticket) in AGENT_ROLES


def visible_messages_for_user(user: User, ticket: Ticket) -> QuerySet[Message]:
    messages = Message.objects.filter(ticket=ticket)
    if not sees_internal(user, ticket):
        messages = messages.filter(internal=False)
    return messages


# The history a requester follows: the messages they see and changes to what the ticket
# shows them. Other kinds carry the desk's own words and workings (escalation and
# reassignment reasons, automation names and errors, SLA slips, incident clusters), and
# a kind added later stays with the desk until it is listed here.
REQUESTER_EVENT_KINDS = {"created", "reply_added", "field_changed", "merged_into", "merged_from"}
# Fields the ticket never shows a requester (the vendor's case number).
DESK_ONLY_EVENT_FIELDS = {"vendor_reference"}


def visible_events_for_user(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events this user may read (hidden custom fields are the caller's
    to leave out of their values, see hidden_fields_by_desk)."""
    events = TicketEvent.objects.filter(ticket=ticket)
    if sees_internal(user, ticket):
        return events
    return (
        events.filter(kind__in=REQUESTER_EVENT_KINDS)
        .exclude(field__in=DESK_ONLY_EVENT_FIELDS)
        .exclude(message__internal=True)
    )


def visible_ticket_ids(user: User, ticket_ids: Iterable[int]) -> set[int]:
    """Those of ticket_ids the user may see (one query; none for admins or no ids)."""
    wanted = {i for i in ticket_ids if i is not None}
    if not wanted or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return wanted
    return set(visible_tickets_for_user(user).filter(pk__in=wanted).values_list("pk", flat=True))


def visible_links_for_user(user: User, ticket: Ticket) -> list[TicketLink]:
    """The ticket's links whose other end the user may see: a link is the other
    ticket's number, which tells of a ticket (another desk's, another requester's)."""
    links = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target")
        .order_by("id")
    )
    others = {link.target_id if link.source_id == ticket.pk else link.source_id for link in links}
    seen = visible_ticket_ids(user, others) | {ticket.pk}
    return [link for link in links if link.source_id in seen and link.target_id in seen]


def hide_unseen_merge_targets(user: User, tickets: Iterable[Ticket]) -> None:
    """Blank merged_into on tickets (as shown to this user) merged into one they may not
    see; the serializers read the `merged_into_number` set here before the relation."""
    merged = [t for t in tickets if t.merged_into_id is not None]
    seen = visible_ticket_ids(user, {t.merged_into_id for t in merged})
    for ticket in merged:
        if ticket.merged_into_id not in seen:
            ticket.merged_into_number = None  # type: ignore[attr-defined]


# Events that name another ticket by its number: kind → (before or after, key in a dict
# value or None for the value itself).
TICKET_REFERENCES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "linked": (("after", None),),
    "unlinked": (("before", None),),
    "merged_into": (("after", None),),
    "merged_from": (("after", None),),
    "split_out": (("after", None),),
    "split_from": (("after", None),),
    "triage_merged": (("after", "into"), ("after", "from")),
}


def hide_unseen_ticket_references(user: User, events: list[TicketEvent]) -> list[TicketEvent]:
    """The events, with the numbers of tickets this user may not see replaced by None
    (for showing only: the events are changed in memory and must not be saved)."""
    places = []
    for one in events:
        for side, key in TICKET_REFERENCES.get(one.kind, ()):
            value = getattr(one, side)
            if key is not None:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str):
                places.append((one, side, key, value))
    if not places or (user.is_authenticated and user.is_active and user.is_superuser):
        return events
    numbers = {number for *_, number in places}
    seen = set(
        visible_tickets_for_user(user).filter(number__in=numbers).values_list("number", flat=True)
    )
    for one, side, key, number in places:
        if number in seen:
            continue
        if key is None:
            setattr(one, side, None)
        else:
            setattr(one, side, {**getattr(one, side), key: None})
    return events


def get_attachment_for_user(user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("ticket", "message")
        .filter(pk=parse_id(attachment_id) or 0)
        .first()
    )
    if attachment is None:
        raise NotFound(lazy_message(_("attachment %(id)s not found"), id=attachment_id))
    role = ticket_role(user, attachment.ticket)
    if role is None:
        raise NotFound(lazy_message(_("attachment %(id)s not found"), id=attachment_id))
    if role in AGENT_ROLES:
        return attachment
    # Requesters: files of public messages, and their own uploads not yet sent.
    if attachment.message is None and attachment.uploaded_by_id == user.pk:
        return attachment
    if attachment.message is not None and not attachment.message.internal:
        return attachment
    raise NotFound(lazy_message(_("attachment %(id)s not found"), id=attachment_id))
