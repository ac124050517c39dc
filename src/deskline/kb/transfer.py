"""Import and export of articles as a list of {title, body, language, category, visibility}."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from deskline.accounts.models import User
from deskline.desks.models import Desk
from deskline.kb.models import Article, ArticleVisibility, State
from deskline.kb.services import create_article

FIELDS = ("title", "body", "language", "category", "visibility")
OPTIONAL = ("kind", "state")
MAX_ITEMS = 10_000


def import_articles(
    desk: Desk, items: Any, *, actor: User | None, state: str = State.PUBLISHED
) -> list[Article]:
    """All or nothing: one bad item rejects the file, naming the item and field."""
    if not isinstance(items, list):
        raise ValidationError({"articles": "a list of articles"})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"articles": f"at most {MAX_ITEMS} articles at once"})
    created: list[Article] = []
    with transaction.atomic():
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValidationError({f"articles.{position}": "an object"})
            unknown = sorted(set(item) - set(FIELDS) - set(OPTIONAL))
            if unknown:
                raise ValidationError({f"articles.{position}.{unknown[0]}": "unknown field"})
            try:
                created.append(
                    create_article(
                        desk,
                        actor=actor,
                        title=item.get("title", ""),
                        body=item.get("body", ""),
                        language=item.get("language", ""),
                        category=item.get("category", ""),
                        visibility=item.get("visibility", ArticleVisibility.PUBLIC),
                        kind=item.get("kind", "guide"),
                        state=item.get("state", state),
                    )
                )
            except ValidationError as exc:
                raise ValidationError(
                    {f"articles.{position}.{k}": v for k, v in exc.message_dict.items()}
                ) from None
    return created


def export_articles(articles: Any) -> list[dict[str, str]]:
    names = (*FIELDS, *OPTIONAL)
    return [{name: getattr(article, name) for name in names} for article in articles]
