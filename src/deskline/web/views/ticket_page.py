"""The agent's ticket page: timeline, reply and internal note, fields, merge, link."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.accounts.models import User
from deskline.automation.services.macros import usable_macros
from deskline.core.errors import Conflict, Forbidden, NotFound
from deskline.desks.models import Category, CustomField, DeskMembership, FieldType, Team
from deskline.tickets.access import (
    EDITING_ROLES,
    REQUESTER,
    check_can_add_message,
    check_can_upload,
    get_ticket_for_user,
    visible_links_for_user,
    visible_tickets_for_user,
)
from deskline.tickets.attachments import store_attachment
from deskline.tickets.choices import Channel
from deskline.tickets.models import Message, StatusDefinition, Ticket
from deskline.tickets.services import (
    add_message,
    link_tickets,
    merge_tickets,
    split_message,
    update_ticket,
)
from deskline.tickets.services.tags import ticket_tag_names
from deskline.triage.services.panel import ticket_predictions
from deskline.web.labels import choices
from deskline.web.timeline import Entry, changes_since, last_event_id, timeline_for_user

MAX_FILES = 10


def load_ticket(request: HttpRequest, number: str, *, write: bool = False) -> Ticket:
    try:
        return get_ticket_for_user(request.user, number, write=write)
    except NotFound:
        raise Http404 from None


def _assignable_agents(ticket: Ticket) -> list[User]:
    ids = DeskMembership.objects.filter(desk_id=ticket.desk_id, role__in=EDITING_ROLES).values(
        "user_id"
    )
    return list(User.objects.filter(Q(pk__in=ids) | Q(is_superuser=True), is_active=True))


def _custom_fields(ticket: Ticket) -> list[dict[str, Any]]:
    rows = []
    for definition in CustomField.objects.filter(desk_id=ticket.desk_id):
        rows.append({"def": definition, "value": ticket.custom_fields.get(definition.key)})
    return rows


def first_message_id(entries: list[Entry]) -> int | None:
    """The opening message, which is the ticket itself and so cannot be split off."""
    return next((e.message.pk for e in entries if e.message is not None), None)


def ticket_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    user = request.user
    others = (
        visible_tickets_for_user(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at", "-id")[:10]
    )
    links = visible_links_for_user(user, ticket)
    can_edit = ticket.viewer_role in EDITING_ROLES
    entries = timeline_for_user(user, ticket)
    context = {
        "ticket": ticket,
        "entries": entries,
        "first_message_id": first_message_id(entries),
        "seen_event": last_event_id(ticket),
        "can_edit": can_edit,
        "macros": list(usable_macros(user, [ticket.desk_id])) if can_edit else [],
        "agents": _assignable_agents(ticket),
        "teams": Team.objects.filter(desk_id=ticket.desk_id),
        "categories": Category.objects.filter(desk_id=ticket.desk_id),
        "statuses": StatusDefinition.objects.filter(Q(desk_id=ticket.desk_id) | Q(desk=None)),
        "custom_fields": _custom_fields(ticket),
        "tags": ticket_tag_names(ticket),
        "links": links,
        "triage": ticket_predictions(ticket),
        "other_tickets": others,
        "status_choices": choices("status"),
        "priority_choices": choices("priority"),
        "tier_choices": choices("tier"),
        "link_choices": choices("link"),
    }
    context.update(extra)
    return context


@login_required
def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    ticket = load_ticket(request, number)
    if ticket.viewer_role == REQUESTER:
        return redirect("web:portal_ticket", number=ticket.number)
    if request.htmx and request.GET.get("part") == "timeline":
        entries = timeline_for_user(request.user, ticket)
        context = {
            "entries": entries,
            "ticket": ticket,
            "seen_event": last_event_id(ticket),
            "can_edit": ticket.viewer_role in EDITING_ROLES,
            "first_message_id": first_message_id(entries),
        }
        return render(request, "web/console/_timeline.html", context)
    return render(request, "web/console/ticket.html", ticket_context(request, ticket))


def store_uploads(request: HttpRequest, ticket: Ticket) -> list:
    files = request.FILES.getlist("files")
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("At most %(n)d files at a time.") % {"n": MAX_FILES}})
    check_can_upload(request.user, ticket)
    return [
        store_attachment(
            ticket, filename=f.name or "attachment", stream=f, uploaded_by=request.user
        )
        for f in files
    ]


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


@login_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = load_ticket(request, number)
    internal = request.POST.get("internal") == "1"
    body = request.POST.get("body", "")
    try:
        seen = int(request.POST.get("seen_event", "0"))
    except ValueError:
        seen = 0
    try:
        check_can_add_message(request.user, ticket, internal=internal)
    except Forbidden as exc:
        messages.error(request, str(exc))
        return redirect("web:ticket", number=ticket.number)
    newer = changes_since(ticket, seen, request.user)
    if newer and request.POST.get("send_anyway") != "1":
        warning = _(
            "This ticket changed while you were writing (%(n)d new items, marked below). "
            "Read them, then send again."
        ) % {"n": newer}
        context = ticket_context(
            request, ticket, draft=body, draft_internal=internal, stale_after=seen, warning=warning
        )
        return render(request, "web/console/ticket.html", context, status=409)
    try:
        with transaction.atomic():
            uploads = store_uploads(request, ticket)
            add_message(
                ticket,
                actor=request.user,
                body_text=body,
                internal=internal,
                channel=Channel.AGENT,
                attachments=uploads,
            )
    except (ValidationError, Conflict) as exc:
        context = ticket_context(request, ticket, draft=body, draft_internal=internal)
        context["warning"] = _error_text(exc)
        return render(request, "web/console/ticket.html", context, status=422)
    messages.success(request, _("Internal note added.") if internal else _("Reply sent."))
    return redirect("web:ticket", number=ticket.number)


def _custom_changes(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for definition in CustomField.objects.filter(desk_id=ticket.desk_id):
        name = f"cf_{definition.key}"
        if definition.field_type == FieldType.CHECKBOX:
            value: Any = request.POST.get(name) == "on"
        elif definition.field_type == FieldType.MULTICHOICE:
            value = request.POST.getlist(name) or None
        else:
            value = request.POST.get(name, "").strip() or None
        if value != ticket.custom_fields.get(definition.key):
            changes[definition.key] = value
    return changes


FIELD_NAMES = ("status", "priority", "assignee", "team", "tier", "category")


def current_value(ticket: Ticket, name: str) -> str:
    if name == "status":
        return ticket.custom_status.slug if ticket.custom_status_id else ticket.status
    if name in ("assignee", "team", "category"):
        return str(getattr(ticket, f"{name}_id") or "")
    return str(getattr(ticket, name))


@login_required
@require_POST
def update_fields(request: HttpRequest, number: str) -> HttpResponse:
    try:
        ticket = get_ticket_for_user(request.user, number, write=True)
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        messages.error(request, str(exc))
        return redirect("web:ticket", number=number)
    changes: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name in request.POST and request.POST[name] != current_value(ticket, name):
            changes[name] = request.POST[name] or None
    if "tags" in request.POST:
        tags = sorted({t for t in request.POST["tags"].replace(",", " ").split() if t})
        if tags != ticket_tag_names(ticket):
            changes["tags"] = tags
    custom = _custom_changes(request, ticket) if "custom" in request.POST else {}
    if custom:
        changes["custom_fields"] = custom
    if changes:
        try:
            update_ticket(ticket, actor=request.user, changes=changes)
            messages.success(request, _("Ticket updated."))
        except (ValidationError, Conflict) as exc:
            messages.error(request, _error_text(exc))
    return redirect("web:ticket", number=ticket.number)


@login_required
@require_POST
def merge(request: HttpRequest, number: str) -> HttpResponse:
    try:
        source = get_ticket_for_user(request.user, number, write=True)
        target = get_ticket_for_user(request.user, request.POST.get("target", ""), write=True)
        merge_tickets(source, target, actor=request.user)
    except NotFound:
        messages.error(request, _("No such ticket."))
        return redirect("web:ticket", number=number)
    except (Forbidden, Conflict, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("web:ticket", number=number)
    messages.success(request, _("Merged into %(number)s.") % {"number": target.number})
    return redirect("web:ticket", number=target.number)


@login_required
@require_POST
def link(request: HttpRequest, number: str) -> HttpResponse:
    try:
        source = get_ticket_for_user(request.user, number, write=True)
        target = get_ticket_for_user(request.user, request.POST.get("target", ""))
        link_tickets(source, target, request.POST.get("kind", ""), actor=request.user)
        messages.success(request, _("Linked."))
    except NotFound:
        messages.error(request, _("No such ticket."))
    except (Forbidden, Conflict, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("web:ticket", number=number)


@login_required
@require_POST
def split(request: HttpRequest, number: str) -> HttpResponse:
    try:
        ticket = get_ticket_for_user(request.user, number, write=True)
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        messages.error(request, str(exc))
        return redirect("web:ticket", number=number)
    message = Message.objects.filter(pk=request.POST.get("message") or 0, ticket=ticket).first()
    if message is None or message.internal:
        # An internal note is not the requester's: the service refuses it, and no
        # id of another ticket's message may be probed through this form.
        raise Http404
    try:
        new = split_message(
            ticket, message, actor=request.user, subject=request.POST.get("subject", "")
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, _error_text(exc))
        return redirect("web:ticket", number=ticket.number)
    messages.success(
        request, _("New ticket %(number)s opened from the message.") % {"number": new.number}
    )
    return redirect("web:ticket", number=new.number)
