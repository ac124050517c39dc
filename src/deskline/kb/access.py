"""Who may read and change knowledge-base articles.

A desk's agents (any role) read all its articles, its editing roles change them;
everyone else reads published public articles of desks they may see (internal desks
only for employees, as tickets.access.can_see_desk).
"""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Forbidden, NotFound, lazy_message
from deskline.core.ids import parse_id
from deskline.desks.models import Desk, Role
from deskline.kb.models import Article, ArticleVisibility, State
from deskline.search.permissions import open_desks_condition
from deskline.tickets.access import ADMIN, EDITING_ROLES, agent_desk_ids, role_on_desk


def _signed_in(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def visible_articles_for_user(user: User) -> QuerySet[Article]:
    if _signed_in(user) and user.is_superuser:
        return Article.objects.all()
    condition = Q(state=State.PUBLISHED, visibility=ArticleVisibility.PUBLIC) & (
        open_desks_condition(user)
    )
    if _signed_in(user):
        condition |= Q(desk_id__in=agent_desk_ids(user))
    return Article.objects.filter(condition)


def can_edit_articles(user: User, desk: Desk) -> bool:
    return role_on_desk(user, desk.pk) in EDITING_ROLES


def get_article_for_user(
    user: User, article_id: int | str, *, write: bool = False, field: str | None = None
) -> Article:
    """The article if the user may read it (and change it, with write=True); articles
    the user may not read answer like missing ones: 404, or for one named by a body
    field (field="article"), bad input naming that field (422)."""
    article = (
        visible_articles_for_user(user)
        .select_related("desk")
        .filter(pk=parse_id(article_id) or 0)
        .first()
    )
    if article is None:
        if field is not None:
            raise ValidationError({field: lazy_message(_("no article %(id)s"), id=article_id)})
        raise NotFound(lazy_message(_("article %(id)s not found"), id=article_id))
    if write and not can_edit_articles(user, article.desk):
        raise Forbidden(
            lazy_message(
                _("only agents of %(desk)s may change its articles"), desk=article.desk.slug
            )
        )
    return article


def report_desks(user: User, desks: list[Desk] | None = None) -> list[Desk]:
    """The desks (of `desks`, default every active one) whose deflection report this
    user may read: admins and the desk's supervisors, who act on what it shows."""
    if desks is None:
        desks = list(Desk.objects.filter(is_active=True).order_by("name"))
    return [d for d in desks if role_on_desk(user, d.pk) in (ADMIN, Role.SUPERVISOR)]
