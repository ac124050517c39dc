"""The knowledge base on the console's ticket page: find an article, put it into the
reply (which records it as resolving the ticket), turn a solved ticket into a draft.

The ticket page loads the panel with htmx; without script it is a page of its own.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.core.errors import Conflict, Forbidden, NotFound
from deskline.kb import services
from deskline.kb.access import get_article_for_user, visible_articles_for_user
from deskline.kb.models import TicketArticle
from deskline.search.services import Filters, search
from deskline.tickets.access import get_ticket_for_user
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket
from deskline.web.views.ticket_page import ticket_context

PANEL_RESULTS = 8


def _writable(request: HttpRequest, number: str) -> Ticket:
    try:
        return get_ticket_for_user(request.user, number, write=True)
    except (NotFound, Forbidden):
        # Only agents who may answer the ticket use the panel; others learn nothing.
        raise Http404 from None


@login_required
def ticket_articles(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _writable(request, number)
    # Before the agent types anything, the ticket's subject is the question.
    query = request.GET.get("q", "").strip()[:500] or ticket.subject
    hits = search(
        request.user,
        query,
        filters=Filters(kinds=("article",), desk_ids=(ticket.desk_id,)),
        limit=PANEL_RESULTS,
        match="any",
    )
    articles = visible_articles_for_user(request.user).in_bulk([h.object_id for h in hits])
    found = [(articles[h.object_id], h.snippet) for h in hits if h.object_id in articles]
    linked = visible_articles_for_user(request.user).filter(
        pk__in=TicketArticle.objects.filter(ticket=ticket).values("article_id")
    )
    context = {
        "ticket": ticket,
        "query": query,
        "found": found,
        "linked": linked,
        "solved": ticket.status in (Status.SOLVED, Status.CLOSED),
    }
    template = "kb/_ticket_articles.html" if request.htmx else "kb/ticket_articles.html"
    return render(request, template, context)


@login_required
@require_POST
def insert_article(request: HttpRequest, number: str, article_id: int) -> HttpResponse:
    """The article's text for the reply box (htmx), or the ticket page with it as the
    draft (no script). An article sent to the requester is one that answers the ticket,
    so it is recorded as resolving it."""
    ticket = _writable(request, number)
    try:
        article = get_article_for_user(request.user, article_id)
        services.link_resolving_article(ticket, article, actor=request.user)
    except (NotFound, ValidationError):
        raise Http404 from None
    link = request.build_absolute_uri(
        reverse("kb:article", args=[article.desk.slug, article.pk]) + "?original=1"
    )
    text = services.reply_text(article, link=link)
    if request.htmx:
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    context = ticket_context(request, ticket, draft=text)
    return render(request, "web/console/ticket.html", context)


@login_required
@require_POST
def draft_from_ticket(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _writable(request, number)
    try:
        article = services.draft_from_ticket(ticket, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("web:ticket", number=ticket.number)
    messages.success(
        request, _("Draft article written from %(number)s.") % {"number": ticket.number}
    )
    return redirect(reverse("kb:article", args=[ticket.desk.slug, article.pk]) + "?original=1")
