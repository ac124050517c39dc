"""Agent console: home with queues, the ticket list, bulk actions, saved views."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.core.errors import Conflict, Forbidden, NotFound
from deskline.desks.models import Desk, Team, TeamMembership
from deskline.sla.services.display import attach_sla, sla_for
from deskline.tickets.access import get_ticket_for_user, is_agent_anywhere
from deskline.tickets.models import Ticket, TicketTag
from deskline.tickets.services import merge_tickets, update_ticket
from deskline.web.labels import choices
from deskline.web.models import SavedView
from deskline.web.ordering import nearest_due, page_tickets
from deskline.web.queues import (
    FILTER_KEYS,
    filtered_tickets,
    queue_counts,
    sort_of,
    working_desk_ids,
)

PAGE = 50
BULK_ACTIONS = ("assignee", "status", "priority", "add_tags", "merge")
BULK_LIMIT = 200


def agent_required(request: HttpRequest) -> None:
    if not is_agent_anywhere(request.user):
        raise Http404


def _saved_views(user) -> list[SavedView]:  # type: ignore[no-untyped-def]
    teams = TeamMembership.objects.filter(user=user).values("team_id")
    return list(
        SavedView.objects.filter(Q(owner=user) | Q(team_id__in=teams)).select_related(
            "owner", "team"
        )
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not is_agent_anywhere(request.user):
        return redirect("web:portal")
    context = {
        "counts": queue_counts(request.user),
        "saved_views": _saved_views(request.user),
    }
    if request.htmx:
        return render(request, "web/console/_counts.html", context)
    return render(request, "web/console/home.html", context)


def _tags_by_ticket(ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    rows = TicketTag.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name")
    for ticket_id, name in rows.order_by("tag__name"):
        found.setdefault(ticket_id, []).append(name)
    return found


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    agent_required(request)
    user = request.user
    sort_key, field, descending = sort_of(request.GET)
    error = None
    try:
        # Only what a row shows: the desk, team and custom fields of 50 tickets cost a
        # tenth of the page in building objects nobody reads.
        tickets = (
            filtered_tickets(user, request.GET)
            .select_related("requester", "assignee")
            .defer("custom_fields")
        )
        rows, next_cursor = page_tickets(
            tickets,
            sort_key,
            field,
            descending,
            request.GET.get("cursor"),
            PAGE,
            narrowed_by_update=request.GET.get("queue") == "recent",
        )
    except ValidationError as exc:
        error = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
        rows, next_cursor = [], None
    tags = _tags_by_ticket([t.pk for t in rows])
    attach_sla(rows)
    for ticket in rows:
        ticket.tag_names = tags.get(ticket.pk, [])
        ticket.sla = nearest_due(sla_for(ticket))
    kept = {k: request.GET[k] for k in (*FILTER_KEYS, "queue", "sort") if request.GET.get(k)}
    desks = list(Desk.objects.filter(pk__in=working_desk_ids(user)))
    context = {
        "tickets": rows,
        "error": error,
        "filters": kept,
        "sort": sort_key,
        "next_query": urlencode({**kept, "cursor": next_cursor}) if next_cursor else "",
        "current_query": urlencode(kept),
        "desks": desks,
        "teams": Team.objects.filter(desk__in=desks).select_related("desk"),
        "status_choices": choices("status"),
        "priority_choices": choices("priority"),
        "type_choices": choices("type"),
        "saved_views": _saved_views(user),
        "my_teams": Team.objects.filter(teammembership__user=user),
    }
    template = "web/console/_rows.html" if request.htmx else "web/console/list.html"
    return render(request, template, context, status=422 if error else 200)


@login_required
@require_POST
def bulk_update(request: HttpRequest) -> HttpResponse:
    agent_required(request)
    action = request.POST.get("action", "")
    value = request.POST.get("value", "").strip()
    ids = request.POST.getlist("ticket")
    back = request.POST.get("back", "")
    if not back.startswith("/tickets/"):
        back = "/tickets/"
    if action not in BULK_ACTIONS or not ids:
        messages.error(request, _("Choose tickets and an action."))
        return redirect(back)
    if action == "merge":
        return _bulk_merge(request, ids[:BULK_LIMIT], value, back)
    if action == "add_tags":
        change = {"add_tags": [t for t in value.replace(",", " ").split() if t]}
    elif action == "assignee":
        change = {"assignee": value or None}
    else:
        change = {action: value}
    done, failed = 0, []
    for ticket_id in ids[:BULK_LIMIT]:
        try:
            with transaction.atomic():
                ticket = get_ticket_for_user(request.user, ticket_id, write=True)
                value_for_desk = change
                if action == "assignee" and value == "me":
                    value_for_desk = {"assignee": request.user.pk}
                update_ticket(ticket, actor=request.user, changes=value_for_desk)
            done += 1
        except NotFound:
            failed.append(f"{ticket_id}: " + _("not found"))
        except (Forbidden, Conflict) as exc:
            failed.append(f"{ticket_id}: {exc}")
        except ValidationError as exc:
            failed.append(f"{ticket_id}: " + "; ".join(exc.messages))
    if done:
        messages.success(request, _("%(count)d tickets updated.") % {"count": done})
    for problem in failed[:10]:
        messages.error(request, problem)
    return redirect(back)


def _merge_target(request: HttpRequest, ids: list[str], value: str) -> Ticket | None:
    """The ticket named in the value, else the oldest of the selected ones."""
    if value:
        return get_ticket_for_user(request.user, value, write=True)
    found = [t for t in (_visible(request, i) for i in ids) if t is not None]
    return min(found, key=lambda t: (t.created_at, t.pk), default=None)


def _visible(request: HttpRequest, ticket_id: str) -> Ticket | None:
    try:
        return get_ticket_for_user(request.user, ticket_id, write=True)
    except (NotFound, Forbidden):
        return None


def _bulk_merge(request: HttpRequest, ids: list[str], value: str, back: str) -> HttpResponse:
    try:
        target = _merge_target(request, ids, value)
    except (NotFound, Forbidden):
        target = None
    if target is None:
        messages.error(request, _("No ticket to merge into."))
        return redirect(back)
    done, failed = 0, []
    for ticket_id in ids:
        if ticket_id in (target.number, str(target.pk)):
            continue
        try:
            source = get_ticket_for_user(request.user, ticket_id, write=True)
            merge_tickets(source, target, actor=request.user)
            done += 1
        except NotFound:
            failed.append(f"{ticket_id}: " + _("not found"))
        except (Forbidden, Conflict) as exc:
            failed.append(f"{ticket_id}: {exc}")
        except ValidationError as exc:
            failed.append(f"{ticket_id}: " + "; ".join(exc.messages))
    if done:
        messages.success(
            request,
            _("%(count)d tickets merged into %(number)s.")
            % {"count": done, "number": target.number},
        )
    for problem in failed[:10]:
        messages.error(request, problem)
    return redirect(back)


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    agent_required(request)
    name = request.POST.get("name", "").strip()[:100]
    query = request.POST.get("query", "")[:1000]
    team = None
    if request.POST.get("team"):
        team = Team.objects.filter(
            pk=request.POST["team"], teammembership__user=request.user
        ).first()
        if team is None:
            messages.error(request, _("You can share a view only with a team you belong to."))
            return redirect(f"/tickets/?{query}")
    if not name:
        messages.error(request, _("A saved view needs a name."))
        return redirect(f"/tickets/?{query}")
    SavedView.objects.create(owner=request.user, team=team, name=name, query=query)
    messages.success(request, _("View saved."))
    return redirect(f"/tickets/?{query}")


@login_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    deleted, _count = SavedView.objects.filter(pk=view_id, owner=request.user).delete()
    if not deleted:
        raise Http404
    return redirect("web:home")
