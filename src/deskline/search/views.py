"""The search page behind the search box of the console and the portal: one query
over everything the reader may see (search.services applies the permissions)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from deskline.accounts.models import User
from deskline.desks.models import Desk
from deskline.search.models import Kind
from deskline.search.services import Filters, Hit, search
from deskline.tickets.access import AGENT_ROLES, role_on_desk
from deskline.tickets.models import Ticket
from deskline.web.public import limit_anonymous

PAGE = 30


@dataclass
class Result:
    hit: Hit
    url: str
    label: str


def _link(user: User, hit: Hit, numbers: dict[int, str], slugs: dict[int, str]) -> str:
    if hit.kind == Kind.ARTICLE and hit.desk_id in slugs:
        return reverse("kb:article", args=[slugs[hit.desk_id], hit.object_id]) + "?original=1"
    if hit.ticket_id in numbers:
        # Agents open a ticket in the console, requesters in the portal.
        agent = hit.desk_id is not None and role_on_desk(user, hit.desk_id) in AGENT_ROLES
        name = "web:ticket" if agent else "web:portal_ticket"
        return reverse(name, args=[numbers[hit.ticket_id]])
    return ""


def results_for(user: User, query: str, kind: str) -> list[Result]:
    hits = search(user, query, filters=Filters(kinds=(kind,) if kind else ()), limit=PAGE)
    ticket_ids = {h.ticket_id for h in hits if h.ticket_id}
    numbers = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "number"))
    slugs = dict(Desk.objects.filter(pk__in={h.desk_id for h in hits}).values_list("pk", "slug"))
    labels = dict(Kind.choices)
    return [Result(h, _link(user, h, numbers, slugs), str(labels[h.kind])) for h in hits]


@limit_anonymous
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:500]
    kind = request.GET.get("type", "")
    if kind not in Kind.values:
        kind = ""
    results: list[Result] = []
    error = ""
    if query:
        try:
            results = results_for(request.user, query, kind)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    # Readers without an account can only ever find articles.
    signed_in = request.user.is_authenticated
    kinds = [(k, label) for k, label in Kind.choices if signed_in or k == Kind.ARTICLE]
    context = {"query": query, "kind": kind, "kinds": kinds, "results": results, "error": error}
    return render(request, "search/results.html", context)
