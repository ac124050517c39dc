"""Macros: who may use and manage them, and applying one to a ticket in one transaction."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.automation import actions as action_specs
from deskline.automation.models import Macro
from deskline.automation.placeholders import check_placeholders, render, values_for
from deskline.core.errors import Forbidden, NotFound, lazy_message
from deskline.desks.models import Desk, Role, Team
from deskline.tickets import services as ticket_services
from deskline.tickets.access import (
    ADMIN,
    EDITING_ROLES,
    agent_desk_ids,
    check_can_add_message,
    role_on_desk,
)
from deskline.tickets.choices import Channel
from deskline.tickets.models import Message, Ticket, TicketEvent

MANAGER_ROLES = (ADMIN, Role.SUPERVISOR)


def clean_replies(replies: Any, where: str = "replies") -> dict[str, str]:
    from django.conf import settings

    if replies in (None, {}):
        return {}
    if not isinstance(replies, dict):
        raise ValidationError({where: _('an object {"en": "text", ...}')})
    languages = [code for code, _ in settings.LANGUAGES]
    cleaned: dict[str, str] = {}
    for language, text in replies.items():
        if language not in languages:
            raise ValidationError(
                {
                    f"{where}.{language}": lazy_message(
                        _("language is one of %(languages)s"), languages=languages
                    )
                }
            )
        if not isinstance(text, str) or not text.strip():
            raise ValidationError({f"{where}.{language}": _("a non-empty text is needed")})
        check_placeholders(text, f"{where}.{language}")
        cleaned[language] = text
    return cleaned


def clean_macro(desk: Desk, *, actions_json: Any, replies: Any) -> dict[str, Any]:
    cleaned = {
        "actions": action_specs.clean_actions(actions_json, desk, allowed=action_specs.MACRO_TYPES),
        "replies": clean_replies(replies),
    }
    if not cleaned["actions"] and not cleaned["replies"]:
        raise ValidationError({"actions": _("a macro needs actions, a reply or both")})
    return cleaned


def check_scope(user: User, desk: Desk, *, team: Team | None, personal: bool) -> None:
    """Personal macros are anyone's (agents of the desk); shared ones are managers'."""
    role = role_on_desk(user, desk.pk)
    if role not in EDITING_ROLES:
        raise Forbidden(
            lazy_message(_("only agents of %(desk)s may have macros there"), desk=desk.slug)
        )
    if personal:
        return
    if team is not None and team.desk_id != desk.pk:
        raise ValidationError(
            {
                "team": lazy_message(
                    _("team %(team)s is not of desk %(desk)s"), team=team.slug, desk=desk.slug
                )
            }
        )
    if role not in MANAGER_ROLES:
        raise Forbidden(_("only admins and supervisors may share macros with a desk or team"))


def usable_macros(user: User, desk_ids: list[int]) -> QuerySet[Macro]:
    """Macros the user may apply: the desk's shared ones, their teams' and their own,
    on those of desk_ids where they work. Callers pass desks the user may merely see
    (a requester's external desk, a filter): a macro's replies and notes are the desk's."""
    if not user.is_superuser:
        working = set(agent_desk_ids(user))
        desk_ids = [d for d in desk_ids if d in working]
    team_ids = list(user.teams.values_list("pk", flat=True))
    return Macro.objects.filter(desk_id__in=desk_ids, is_active=True).filter(
        Q(owner__isnull=True, team__isnull=True) | Q(team_id__in=team_ids) | Q(owner=user)
    )


def can_manage(user: User, macro: Macro) -> bool:
    if macro.owner_id is not None:
        return macro.owner_id == user.pk
    return role_on_desk(user, macro.desk_id) in MANAGER_ROLES


def pick_reply(replies: dict[str, str], *languages: str) -> str:
    for language in languages:
        if language and language in replies:
            return replies[language]
    return replies.get("en") or next(iter(replies.values()), "")


def apply_macro(
    macro: Macro, ticket: Ticket, agent: User
) -> tuple[Message | None, list[TicketEvent]]:
    """The macro's reply (in the requester's language) and its field changes, together.

    The caller checked the agent may change the ticket; everything or nothing happens.
    """
    if macro.desk_id != ticket.desk_id:
        raise NotFound(lazy_message(_("macro %(id)s not found"), id=macro.pk))
    if not usable_macros(agent, [ticket.desk_id]).filter(pk=macro.pk).exists():
        raise NotFound(lazy_message(_("macro %(id)s not found"), id=macro.pk))
    message = None
    events: list[TicketEvent] = []
    with transaction.atomic():
        text = pick_reply(macro.replies, ticket.requester.language, ticket.desk.default_language)
        if text:
            check_can_add_message(agent, ticket, internal=macro.reply_internal)
            message = ticket_services.add_message(
                ticket,
                actor=agent,
                body_text=render(text, values_for(ticket, agent)),
                internal=macro.reply_internal,
                channel=Channel.AGENT,
            )
        changes = action_specs.ticket_changes(macro.actions, ticket)
        if changes:
            events = ticket_services.update_ticket(ticket, actor=agent, changes=changes)
        values = values_for(ticket, agent)
        for action in macro.actions:
            if action["type"] == "add_note":
                ticket_services.add_message(
                    ticket,
                    actor=agent,
                    body_text=render(action["body"], values),
                    internal=True,
                    channel=Channel.AGENT,
                )
    return message, events
