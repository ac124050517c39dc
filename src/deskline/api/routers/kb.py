"""Knowledge base: articles, their versions and feedback, import/export, suggestions
while a request is written (deflection) and the deflection report."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as Reply

from deskline.api.routers import kb_files
from deskline.api.routers.search import PUBLIC_AUTH, readable_desk
from deskline.api.schemas import Error, Input
from deskline.core.errors import Forbidden
from deskline.core.ids import Id
from deskline.desks.models import Desk
from deskline.kb import deflection, services, transfer
from deskline.kb.access import (
    can_edit_articles,
    get_article_for_user,
    report_desks,
    visible_articles_for_user,
)
from deskline.kb.models import Article, ArticleVersion, DeflectionEventKind, TicketArticle
from deskline.tickets.access import get_ticket_for_user

router = Router(tags=["knowledge base"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class ArticleIn(Input):
    desk: str
    title: str = Field(..., max_length=300)
    body: str = ""
    kind: str = "guide"
    category: str = ""
    visibility: str = "public"
    language: str = ""
    state: str = "draft"
    translation_of: Id | None = None


class ArticleUpdateIn(Input):
    title: str | None = Field(None, max_length=300)
    body: str | None = None
    kind: str | None = None
    category: str | None = None
    visibility: str | None = None
    language: str | None = None


class StateIn(Input):
    state: str


class FeedbackIn(Input):
    helpful: bool
    comment: str = Field("", max_length=5000)


class TransferItem(Schema):
    title: str
    body: str
    language: str
    category: str
    visibility: str
    kind: str
    state: str


class ImportIn(Input):
    desk: str
    articles: list[Any]
    state: str = "published"


class ImportOut(Schema):
    created: list[int]


class ArticleOut(Schema):
    id: int
    desk: str
    title: str
    body: str
    body_html: str
    kind: str
    category: str
    visibility: str
    state: str
    language: str
    translation_group: UUID
    version: int
    view_count: int
    helpful_count: int
    not_helpful_count: int
    source_ticket: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class VersionOut(Schema):
    number: int
    title: str
    body: str
    author: str | None
    created_at: datetime


class SuggestionOut(Schema):
    id: int
    title: str
    snippet: str
    language: str
    score: float


class SuggestOut(Schema):
    session: str
    articles: list[SuggestionOut]


class SuggestQuery(Schema):
    desk: str
    subject: str = Field("", max_length=500)
    body: str = Field("", max_length=10_000)
    limit: int = Field(5, ge=1, le=20)
    session: str = Field("", max_length=64)


class EventIn(Input):
    session: str = Field(..., min_length=1, max_length=64)
    kind: str
    desk: str
    article: Id | None = None
    ticket: str | None = None


class ReportQuery(Schema):
    desk: str | None = None
    days: int = Field(30, ge=1, le=366)


class FailingArticleOut(Schema):
    id: int
    title: str
    times: int


class ReportOut(Schema):
    sessions: int
    self_solved: int
    submitted: int
    self_service_rate: float
    no_result_searches: list[tuple[str, int]]
    failing_articles: list[FailingArticleOut]


class ResolvedIn(Input):
    article: int


class DraftIn(Input):
    title: str = Field("", max_length=300)


def article_out(article: Article) -> dict[str, Any]:
    return {
        **{
            name: getattr(article, name)
            for name in (
                "id",
                "title",
                "body",
                "body_html",
                "kind",
                "category",
                "visibility",
                "state",
                "language",
                "translation_group",
                "version",
                "view_count",
                "helpful_count",
                "not_helpful_count",
                "created_at",
                "updated_at",
                "published_at",
            )
        },
        "desk": article.desk.slug,
        "source_ticket": article.source_ticket.number if article.source_ticket_id else None,
    }


def _editable_desk(user: Any, value: str) -> Desk:
    desk = readable_desk(user, value)
    if not can_edit_articles(user, desk):
        raise Forbidden(f"only agents of {desk.slug} may write its articles")
    return desk


@router.get("/kb/articles", response={200: list[ArticleOut], **ERRORS}, auth=PUBLIC_AUTH)
def list_articles(
    request: HttpRequest,
    desk: str | None = None,
    language: str | None = None,
    state: str | None = None,
    category: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    articles = visible_articles_for_user(request.auth).select_related("desk", "source_ticket")
    if desk:
        articles = articles.filter(desk=readable_desk(request.auth, desk))
    if language:
        articles = articles.filter(language=language.lower())
    if state:
        articles = articles.filter(state=state)
    if category:
        articles = articles.filter(category=category)
    return [article_out(a) for a in articles[:limit]]


@router.post("/kb/articles", response={201: ArticleOut, **ERRORS})
def create_article(request: HttpRequest, payload: ArticleIn) -> Reply:
    desk = _editable_desk(request.auth, payload.desk)
    original = None
    if payload.translation_of is not None:
        original = get_article_for_user(
            request.auth, payload.translation_of, field="translation_of"
        )
    values = payload.model_dump(exclude={"desk", "translation_of"})
    article = services.create_article(desk, actor=request.auth, translation_of=original, **values)
    return Reply(201, article_out(article))


@router.get("/kb/articles/{article_id}", response={200: ArticleOut, **ERRORS}, auth=PUBLIC_AUTH)
def get_article(request: HttpRequest, article_id: str) -> dict[str, Any]:
    return article_out(get_article_for_user(request.auth, article_id))


@router.patch("/kb/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def update_article(request: HttpRequest, article_id: str, payload: ArticleUpdateIn) -> Any:
    article = get_article_for_user(request.auth, article_id, write=True)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return article_out(services.update_article(article, actor=request.auth, changes=changes))


@router.post("/kb/articles/{article_id}/state", response={200: ArticleOut, **ERRORS})
def set_state(request: HttpRequest, article_id: str, payload: StateIn) -> Any:
    article = get_article_for_user(request.auth, article_id, write=True)
    return article_out(services.set_article_state(article, payload.state, actor=request.auth))


@router.get("/kb/articles/{article_id}/versions", response={200: list[VersionOut], **ERRORS})
def list_versions(request: HttpRequest, article_id: str) -> list[dict[str, Any]]:
    article = get_article_for_user(request.auth, article_id, write=True)
    versions = ArticleVersion.objects.filter(article=article).select_related("author")
    return [
        {
            "number": v.number,
            "title": v.title,
            "body": v.body,
            "author": v.author.email if v.author_id else None,
            "created_at": v.created_at,
        }
        for v in versions
    ]


@router.get(
    "/kb/articles/{article_id}/translations",
    response={200: list[ArticleOut], **ERRORS},
    auth=PUBLIC_AUTH,
)
def list_translations(request: HttpRequest, article_id: str) -> list[dict[str, Any]]:
    article = get_article_for_user(request.auth, article_id)
    group = visible_articles_for_user(request.auth).filter(
        translation_group=article.translation_group
    )
    return [article_out(a) for a in group.select_related("desk", "source_ticket")]


@router.post("/kb/articles/{article_id}/views", response={204: None, **ERRORS}, auth=PUBLIC_AUTH)
def record_view(request: HttpRequest, article_id: str, session: str = "") -> Reply:
    """Count a reading; with the request form's `session`, it is an 'opened' event."""
    article = get_article_for_user(request.auth, article_id)
    services.record_view(article)
    if session:
        deflection.record_event(
            session[:64],
            DeflectionEventKind.OPENED,
            desk=article.desk,
            user=request.auth,
            article=article,
        )
    return Reply(204, None)


@router.post("/kb/articles/{article_id}/feedback", response={204: None, **ERRORS}, auth=PUBLIC_AUTH)
def give_feedback(request: HttpRequest, article_id: str, payload: FeedbackIn) -> Reply:
    article = get_article_for_user(request.auth, article_id)
    services.add_feedback(
        article, user=request.auth, helpful=payload.helpful, comment=payload.comment
    )
    return Reply(204, None)


@router.post("/kb/import", response={201: ImportOut, **ERRORS})
def import_articles(request: HttpRequest, payload: ImportIn) -> Reply:
    """A list of {title, body, language, category, visibility} (kind, state optional);
    all of them or none are imported."""
    desk = _editable_desk(request.auth, payload.desk)
    created = transfer.import_articles(
        desk, payload.articles, actor=request.auth, state=payload.state
    )
    return Reply(201, {"created": [a.pk for a in created]})


@router.get("/kb/export", response={200: list[TransferItem], **ERRORS}, auth=PUBLIC_AUTH)
def export_articles(request: HttpRequest, desk: str) -> list[dict[str, str]]:
    desk_obj = readable_desk(request.auth, desk)
    articles = visible_articles_for_user(request.auth).filter(desk=desk_obj).order_by("pk")
    return transfer.export_articles(articles)


@router.get("/kb/suggest", response={200: SuggestOut, **ERRORS}, auth=PUBLIC_AUTH)
def suggest(request: HttpRequest, params: Query[SuggestQuery]) -> dict[str, Any]:
    """Articles for what a requester is writing. Pass the returned `session` back on
    later calls (views, events) to measure deflection."""
    desk = readable_desk(request.auth, params.desk)
    session = params.session or deflection.new_session()
    found = deflection.suggest_articles(
        request.auth, desk, params.subject, params.body, limit=params.limit, session=session
    )
    return {
        "session": session,
        "articles": [
            {
                "id": s.article.pk,
                "title": s.article.title,
                "snippet": s.snippet,
                "language": s.article.language,
                "score": round(s.score, 6),
            }
            for s in found
        ],
    }


@router.post("/kb/events", response={204: None, **ERRORS}, auth=PUBLIC_AUTH)
def record_event(request: HttpRequest, payload: EventIn) -> Reply:
    """Deflection steps: opened (an article), abandoned or submitted (the request)."""
    desk = readable_desk(request.auth, payload.desk)
    article = (
        get_article_for_user(request.auth, payload.article, field="article")
        if payload.article
        else None
    )
    ticket = (
        get_ticket_for_user(request.auth, payload.ticket, field="ticket")
        if payload.ticket
        else None
    )
    deflection.record_event(
        payload.session,
        payload.kind,
        desk=desk,
        user=request.auth,
        article=article,
        ticket=ticket,
    )
    return Reply(204, None)


@router.get("/kb/report", response={200: ReportOut, **ERRORS})
def deflection_report(request: HttpRequest, params: Query[ReportQuery]) -> dict[str, Any]:
    """Self-service rate, searches that found nothing, articles read before a ticket
    was opened anyway. Admins, and supervisors for their desks."""
    user = request.auth
    if params.desk:
        desks = [readable_desk(user, params.desk)]
    else:
        desks = list(Desk.objects.filter(is_active=True))
    allowed = report_desks(user, desks)
    if not allowed or (params.desk and len(allowed) != len(desks)):
        raise Forbidden("only admins and desk supervisors see the deflection report")
    report = deflection.deflection_report(
        allowed, since=timezone.now() - timedelta(days=params.days)
    )
    return {
        "sessions": report.sessions,
        "self_solved": report.self_solved,
        "submitted": report.submitted,
        "self_service_rate": report.self_service_rate,
        "no_result_searches": report.no_result_searches,
        "failing_articles": [
            {"id": a.pk, "title": a.title, "times": n} for a, n in report.failing_articles
        ],
    }


@router.get("/tickets/{ticket_id}/articles", response={200: list[ArticleOut], **ERRORS})
def resolving_articles(request: HttpRequest, ticket_id: str) -> list[dict[str, Any]]:
    ticket = get_ticket_for_user(request.auth, ticket_id)
    linked = TicketArticle.objects.filter(ticket=ticket).values("article_id")
    articles = visible_articles_for_user(request.auth).filter(pk__in=linked)
    return [article_out(a) for a in articles.select_related("desk", "source_ticket")]


@router.post("/tickets/{ticket_id}/articles", response={201: None, 200: None, **ERRORS})
def link_resolving_article(request: HttpRequest, ticket_id: str, payload: ResolvedIn) -> Reply:
    """Record that an article resolved this ticket."""
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    article = get_article_for_user(request.auth, payload.article, field="article")
    created = services.link_resolving_article(ticket, article, actor=request.auth)
    return Reply(201 if created else 200, None)


@router.post("/tickets/{ticket_id}/article-draft", response={201: ArticleOut, **ERRORS})
def draft_from_ticket(request: HttpRequest, ticket_id: str, payload: DraftIn) -> Reply:
    """Turn a solved ticket's question and answer into a draft (internal) article."""
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    article = services.draft_from_ticket(ticket, actor=request.auth, title=payload.title)
    return Reply(201, article_out(article))


# Article files live in their own module; mounted here so api.py stays as it is.
router.add_router("", kb_files.router)
