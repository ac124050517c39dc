"""Every change to an article: written with its version history and its search
document in one transaction."""

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Conflict, lazy_message
from deskline.desks.models import Desk
from deskline.kb.indexing import index_article
from deskline.kb.markdown import render_markdown
from deskline.kb.models import (
    Article,
    ArticleFeedback,
    ArticleVersion,
    ArticleVisibility,
    Kind,
    State,
    TicketArticle,
)
from deskline.tickets.choices import Status
from deskline.tickets.models import Message, Ticket

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
EDITABLE = ("title", "body", "kind", "category", "visibility", "language")
MAX_TITLE = 300
MAX_BODY = 200_000


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check article fields given from outside; errors name the field."""
    errors: dict[str, Any] = {}
    out = dict(values)
    if "title" in out:
        out["title"] = str(out["title"] or "").strip()
        if not out["title"]:
            errors["title"] = _("a title is required")
        elif len(out["title"]) > MAX_TITLE:
            errors["title"] = lazy_message(_("at most %(max)s characters"), max=MAX_TITLE)
    if "body" in out:
        out["body"] = str(out["body"] or "")
        if len(out["body"]) > MAX_BODY:
            errors["body"] = lazy_message(_("at most %(max)s characters"), max=MAX_BODY)
    if "kind" in out and out["kind"] not in Kind.values:
        errors["kind"] = lazy_message(_("one of %(choices)s"), choices=Kind.values)
    if "visibility" in out and out["visibility"] not in ArticleVisibility.values:
        errors["visibility"] = lazy_message(
            _("one of %(choices)s"), choices=ArticleVisibility.values
        )
    if "language" in out:
        out["language"] = str(out["language"] or "").strip().lower()
        if not LANGUAGE.match(out["language"]):
            errors["language"] = _("a language code such as en, ar or zh-hans")
    if "category" in out:
        out["category"] = str(out["category"] or "").strip()
        if len(out["category"]) > 200:
            errors["category"] = lazy_message(_("at most %(max)s characters"), max=200)
    if errors:
        raise ValidationError(errors)
    return out


def create_article(
    desk: Desk,
    *,
    actor: User | None,
    title: str,
    body: str = "",
    kind: str = Kind.GUIDE,
    category: str = "",
    visibility: str = ArticleVisibility.PUBLIC,
    language: str = "",
    state: str = State.DRAFT,
    translation_of: Article | None = None,
    source_ticket: Ticket | None = None,
) -> Article:
    values = _clean(
        {
            "title": title,
            "body": body,
            "kind": kind,
            "category": category,
            "visibility": visibility,
            "language": language or desk.default_language,
        }
    )
    if state not in State.values:
        raise ValidationError(
            {"state": lazy_message(_("one of %(choices)s"), choices=State.values)}
        )
    if translation_of is not None:
        if translation_of.desk_id != desk.pk:
            raise ValidationError(
                {"translation_of": _("a translation stays on its article's desk")}
            )
        taken = Article.objects.filter(
            translation_group=translation_of.translation_group, language=values["language"]
        )
        if taken.exists():
            raise ValidationError(
                {
                    "language": lazy_message(
                        _("a %(language)s version already exists"), language=values["language"]
                    )
                }
            )
    now = timezone.now()
    with transaction.atomic():
        article = Article.objects.create(
            desk=desk,
            **values,
            body_html=render_markdown(values["body"]),
            state=state,
            translation_group=translation_of.translation_group if translation_of else uuid.uuid4(),
            source_ticket=source_ticket,
            created_by=actor,
            created_at=now,
            updated_at=now,
            published_at=now if state == State.PUBLISHED else None,
        )
        ArticleVersion.objects.create(
            article=article, number=1, title=article.title, body=article.body, author=actor
        )
        index_article(article)
    return article


def update_article(article: Article, *, actor: User | None, changes: dict[str, Any]) -> Article:
    """Change fields; a new title or body is a new version."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            {unknown[0]: lazy_message(_("%(field)r cannot be changed"), field=unknown[0])}
        )
    values = _clean(changes)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if "language" in values and values["language"] != locked.language:
            clash = Article.objects.filter(
                translation_group=locked.translation_group, language=values["language"]
            ).exclude(pk=locked.pk)
            if clash.exists():
                raise ValidationError({"language": _("another translation has this language")})
        new_text = any(
            name in values and values[name] != getattr(locked, name) for name in ("title", "body")
        )
        for name, value in values.items():
            setattr(locked, name, value)
        if new_text:
            locked.version += 1
            locked.body_html = render_markdown(locked.body)
            ArticleVersion.objects.create(
                article=locked,
                number=locked.version,
                title=locked.title,
                body=locked.body,
                author=actor,
            )
        locked.updated_at = timezone.now()
        locked.save()
        index_article(locked)
    return locked


_NEXT_STATES = {
    State.DRAFT: {State.PUBLISHED, State.ARCHIVED},
    State.PUBLISHED: {State.DRAFT, State.ARCHIVED},
    State.ARCHIVED: {State.DRAFT, State.PUBLISHED},
}


def set_article_state(article: Article, state: str, *, actor: User | None) -> Article:
    if state not in State.values:
        raise ValidationError(
            {"state": lazy_message(_("one of %(choices)s"), choices=State.values)}
        )
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if state == locked.state:
            return locked
        if state not in _NEXT_STATES[State(locked.state)]:
            raise Conflict(
                lazy_message(
                    _("an article cannot go from %(current)s to %(state)s"),
                    current=locked.state,
                    state=state,
                )
            )
        locked.state = state
        if state == State.PUBLISHED:
            locked.published_at = timezone.now()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["state", "published_at", "updated_at"])
        index_article(locked)
    return locked


def record_view(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def add_feedback(
    article: Article, *, user: User | None, helpful: bool, comment: str = ""
) -> ArticleFeedback:
    if len(comment) > 5000:
        raise ValidationError({"comment": _("at most 5000 characters")})
    counter = "helpful_count" if helpful else "not_helpful_count"
    with transaction.atomic():
        feedback = ArticleFeedback.objects.create(
            article=article,
            user=user if user is not None and user.is_authenticated else None,
            helpful=helpful,
            comment=comment.strip(),
        )
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


def link_resolving_article(ticket: Ticket, article: Article, *, actor: User | None) -> bool:
    """Record that this article answered the ticket; False when it already was."""
    if article.desk_id != ticket.desk_id:
        raise ValidationError({"article": _("the article belongs to another desk")})
    _link, created = TicketArticle.objects.get_or_create(
        ticket=ticket, article=article, defaults={"linked_by": actor}
    )
    return created


def reply_text(article: Article, *, link: str = "") -> str:
    """What an agent's reply quotes of an article: its title and Markdown body, and the
    link when requesters may open it themselves (published and public)."""
    parts = [article.title.strip(), article.body.strip()]
    if link and article.state == State.PUBLISHED and article.visibility == ArticleVisibility.PUBLIC:
        parts.append(link)
    return "\n\n".join(p for p in parts if p) + "\n"


def draft_from_ticket(ticket: Ticket, *, actor: User | None, title: str = "") -> Article:
    """A draft article from a solved ticket: its question and the agents' public answer."""
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        raise Conflict(lazy_message(_("%(ticket)s is not solved yet"), ticket=ticket.number))
    public = Message.objects.filter(ticket=ticket, internal=False).order_by("created_at", "id")
    question = public.first()
    answer = (
        public.exclude(author_id=ticket.requester_id).exclude(author__isnull=True).last()
        if question
        else None
    )
    if answer is None:
        raise Conflict(
            lazy_message(
                _("%(ticket)s has no public answer from an agent to turn into a draft"),
                ticket=ticket.number,
            )
        )
    body = (
        f"## Question\n\n{question.body_text.strip()}\n\n## Answer\n\n{answer.body_text.strip()}\n"
    )
    return create_article(
        ticket.desk,
        actor=actor,
        title=title or ticket.subject,
        body=body,
        kind=Kind.FAQ,
        category=ticket.category.name if ticket.category_id else "",
        visibility=ArticleVisibility.INTERNAL,
        source_ticket=ticket,
    )
