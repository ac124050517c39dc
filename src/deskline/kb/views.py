"""Public help center: per desk, browsable and searchable, in the reader's language.

Anonymous readers see the published public articles of external desks; employees
also those of internal desks; a desk's agents every article of it (tickets.access and
kb.access decide, as for the API).
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from deskline.desks.models import Desk
from deskline.kb import deflection, services
from deskline.kb.access import get_article_for_user, report_desks, visible_articles_for_user
from deskline.kb.files import file_url
from deskline.kb.models import ArticleFile, DeflectionEventKind, State
from deskline.search.services import Filters, search
from deskline.tickets.access import can_see_desk
from deskline.web.public import limit_anonymous

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def _base(language: str) -> str:
    return (language or "en").split("-")[0].lower()


def _desk(request: HttpRequest, slug: str) -> Desk:
    desk = Desk.objects.filter(slug=slug, is_active=True).first()
    if desk is None or not can_see_desk(request.user, desk):
        raise Http404("no such help center")
    return desk


def _in_language(articles: Any, language: str) -> Any:
    base = _base(language)
    return articles.filter(Q(language=base) | Q(language__startswith=f"{base}-"))


@limit_anonymous
def help_home(request: HttpRequest) -> HttpResponse:
    desks = [d for d in Desk.objects.filter(is_active=True) if can_see_desk(request.user, d)]
    counts = dict(
        visible_articles_for_user(request.user)
        .filter(state=State.PUBLISHED)
        .values("desk")
        .annotate(n=Count("id"))
        .values_list("desk", "n")
    )
    rows = [(d, counts.get(d.pk, 0)) for d in desks]
    can_report = request.user.is_authenticated and bool(report_desks(request.user))
    return render(request, "kb/home.html", {"rows": rows, "can_report": can_report})


@limit_anonymous
def help_desk(request: HttpRequest, slug: str) -> HttpResponse:
    desk = _desk(request, slug)
    query = request.GET.get("q", "").strip()[:500]
    published = visible_articles_for_user(request.user).filter(desk=desk, state=State.PUBLISHED)
    hits = []
    if query:
        found = search(
            request.user, query, filters=Filters(kinds=("article",), desk_ids=(desk.pk,))
        )
        articles = published.in_bulk([h.object_id for h in found])
        hits = [(articles[h.object_id], h.snippet) for h in found if h.object_id in articles]
    mine = _in_language(published, get_language() or "en")
    listing = mine if mine.exists() else published
    return render(
        request,
        "kb/desk.html",
        {"desk": desk, "query": query, "hits": hits, "articles": listing.order_by("category")},
    )


@limit_anonymous
def help_article(request: HttpRequest, slug: str, article_id: int) -> HttpResponse:
    desk = _desk(request, slug)
    article = get_article_for_user(request.user, article_id) if article_id else None
    if article is None or article.desk_id != desk.pk:
        raise Http404("no such article")
    # A reader who asked for another language gets that translation when there is one.
    wanted = _base(get_language() or "en")
    if _base(article.language) != wanted and "original" not in request.GET:
        translation = _in_language(
            visible_articles_for_user(request.user).filter(
                translation_group=article.translation_group, state=State.PUBLISHED
            ),
            wanted,
        ).first()
        if translation is not None:
            return redirect("kb:article", slug=desk.slug, article_id=translation.pk)
    services.record_view(article)
    session = request.GET.get("session", "")[:64]
    if session:
        # Opened from the suggestions of a request form (deflection).
        deflection.record_event(
            session, DeflectionEventKind.OPENED, desk=desk, user=request.user, article=article
        )
    translations = visible_articles_for_user(request.user).filter(
        translation_group=article.translation_group, state=State.PUBLISHED
    )
    return render(
        request,
        "kb/article.html",
        {
            "desk": desk,
            "article": article,
            "rtl": _base(article.language) in RTL_LANGUAGES,
            "translations": translations.exclude(pk=article.pk),
            "session": session,
            "files": [(f, file_url(f)) for f in ArticleFile.objects.filter(article=article)],
        },
    )


@require_POST
@limit_anonymous
def help_answered(request: HttpRequest, slug: str, article_id: int) -> HttpResponse:
    """The reader, sent here by a request form's suggestions, says the article answered
    them: the request is dropped, counted as self-solved at once (not after the timeout)."""
    desk = _desk(request, slug)
    article = get_article_for_user(request.user, article_id)
    session = request.POST.get("session", "")[:64]
    if article.desk_id != desk.pk or not session:
        raise Http404("no such article")
    deflection.record_event(
        session, DeflectionEventKind.ABANDONED, desk=desk, user=request.user, article=article
    )
    return render(request, "kb/thanks.html", {"desk": desk, "article": article, "answered": True})


@require_POST
@limit_anonymous
def help_feedback(request: HttpRequest, slug: str, article_id: int) -> HttpResponse:
    desk = _desk(request, slug)
    article = get_article_for_user(request.user, article_id)
    if article.desk_id != desk.pk:
        raise Http404("no such article")
    services.add_feedback(
        article,
        user=request.user,
        helpful=request.POST.get("helpful") == "yes",
        comment=request.POST.get("comment", "")[:5000],
    )
    return render(request, "kb/thanks.html", {"desk": desk, "article": article})


@limit_anonymous
def help_suggest(request: HttpRequest, slug: str) -> HttpResponse:
    """An HTML fragment of suggested articles, for the request form (htmx)."""
    desk = _desk(request, slug)
    # `kb_session` when sent by the portal's request form (a field of that form).
    session = (request.GET.get("session") or request.GET.get("kb_session", ""))[:64]
    found = deflection.suggest_articles(
        request.user,
        desk,
        request.GET.get("subject", "")[:500],
        request.GET.get("description", "")[:10_000],
        session=session,
    )
    return render(
        request, "kb/_suggestions.html", {"desk": desk, "found": found, "session": session}
    )


REPORT_PERIODS = (7, 30, 90, 365)


@login_required
def help_report(request: HttpRequest) -> HttpResponse:
    """Self-service for admins and supervisors: per desk, how many requests the
    suggestions solved, what people looked for in vain, which articles did not help."""
    desks = report_desks(request.user)
    if not desks:
        raise Http404("no report for you")
    days = request.GET.get("days", "30")
    period = int(days) if days.isdecimal() and int(days) in REPORT_PERIODS else 30
    since = timezone.now() - timedelta(days=period)
    rows = [(desk, deflection.deflection_report([desk], since=since)) for desk in desks]
    return render(
        request, "kb/report.html", {"rows": rows, "period": period, "periods": REPORT_PERIODS}
    )
