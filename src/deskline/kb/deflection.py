"""Self-service: suggest articles while a request is written, and measure what happened.

A `session` ties one request form's events together: articles suggested, articles
opened, then the request submitted or abandoned. A session that opened an article and
did not submit (said so, or silent for SESSION_TIMEOUT) counts as solved by the
requester.
"""

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.utils import timezone

from deskline.accounts.models import User
from deskline.desks.models import Desk
from deskline.kb.access import visible_articles_for_user
from deskline.kb.models import Article, DeflectionEvent, DeflectionEventKind
from deskline.search.backends.base import ANY
from deskline.search.models import Kind
from deskline.search.services import Filters, search
from deskline.tickets.models import Ticket

SESSION_TIMEOUT = timedelta(minutes=30)


def new_session() -> str:
    return secrets.token_urlsafe(16)


def form_session(posted: str) -> str:
    """The session a request form carries: the one it posted back (a re-shown form is
    the same attempt), else a new one."""
    posted = posted.strip()
    if 8 <= len(posted) <= 64 and posted.replace("-", "").replace("_", "").isalnum():
        return posted
    return new_session()


def request_submitted(session: str, *, desk: Desk, user: User, ticket: Ticket) -> None:
    """The form was sent after all: the session is not self-solved, and any article it
    opened failed to answer."""
    if session:
        record_event(session, DeflectionEventKind.SUBMITTED, desk=desk, user=user, ticket=ticket)


@dataclass
class Suggestion:
    article: Article
    score: float
    snippet: str


def suggest_articles(
    user: User, desk: Desk, subject: str, body: str = "", *, limit: int = 5, session: str = ""
) -> list[Suggestion]:
    """The articles that best match what the requester is writing, best first."""
    text = f"{subject}\n{body}".strip()
    hits = search(
        user,
        text,
        filters=Filters(kinds=(Kind.ARTICLE,), desk_ids=(desk.pk,)),
        limit=limit,
        match=ANY,
    )
    articles = visible_articles_for_user(user).in_bulk([h.object_id for h in hits])
    found = [
        Suggestion(articles[hit.object_id], hit.score, hit.snippet)
        for hit in hits
        if hit.object_id in articles
    ]
    # An empty form is not a search: it would count sessions nobody started.
    if session and text:
        record_event(
            session,
            DeflectionEventKind.SUGGESTED,
            desk=desk,
            user=user,
            query=subject or body,
            result_count=len(found),
        )
    return found


def record_event(
    session: str,
    kind: str,
    *,
    desk: Desk,
    user: User | None,
    article: Article | None = None,
    ticket: Ticket | None = None,
    query: str = "",
    result_count: int = 0,
) -> DeflectionEvent:
    if not session or len(session) > 64:
        raise ValidationError({"session": "1 to 64 characters"})
    if kind not in DeflectionEventKind.values:
        raise ValidationError({"kind": f"one of {DeflectionEventKind.values}"})
    return DeflectionEvent.objects.create(
        session=session,
        kind=kind,
        desk=desk,
        user=user if user is not None and user.is_authenticated else None,
        article=article,
        ticket=ticket,
        query=" ".join(query.split())[:500],
        result_count=result_count,
    )


@dataclass
class Report:
    sessions: int
    self_solved: int
    submitted: int
    self_service_rate: float
    no_result_searches: list[tuple[str, int]]
    failing_articles: list[tuple[Article, int]]


def deflection_report(desks: list[Desk], *, since: datetime, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    events = DeflectionEvent.objects.filter(desk__in=desks, created_at__gte=since)
    per_session = events.values("session").annotate(
        suggested=Count("id", filter=Q(kind=DeflectionEventKind.SUGGESTED)),
        opened=Count("id", filter=Q(kind=DeflectionEventKind.OPENED)),
        abandoned=Count("id", filter=Q(kind=DeflectionEventKind.ABANDONED)),
        submitted=Count("id", filter=Q(kind=DeflectionEventKind.SUBMITTED)),
    )
    last_seen = dict(
        events.values("session").annotate(last=Max("created_at")).values_list("session", "last")
    )
    sessions = self_solved = submitted = 0
    for row in per_session:
        if not row["suggested"]:
            continue
        sessions += 1
        if row["submitted"]:
            submitted += 1
        elif row["opened"] and (
            row["abandoned"] or now - last_seen[row["session"]] > SESSION_TIMEOUT
        ):
            self_solved += 1
    no_result = Counter(
        events.filter(kind=DeflectionEventKind.SUGGESTED, result_count=0)
        .exclude(query="")
        .values_list("query", flat=True)
    )
    submitted_sessions = events.filter(kind=DeflectionEventKind.SUBMITTED).values("session")
    failing = (
        events.filter(kind=DeflectionEventKind.OPENED, session__in=submitted_sessions)
        .exclude(article=None)
        .values("article")
        .annotate(times=Count("session", distinct=True))
        .order_by("-times")[:20]
    )
    articles = Article.objects.in_bulk([row["article"] for row in failing])
    return Report(
        sessions=sessions,
        self_solved=self_solved,
        submitted=submitted,
        self_service_rate=round(self_solved / sessions, 4) if sessions else 0.0,
        no_result_searches=no_result.most_common(20),
        failing_articles=[(articles[row["article"]], row["times"]) for row in failing],
    )
