"""Actions of triggers, scheduled rules and macros: JSON checked when saved, then either
described (dry run) or turned into ticket changes (services/actions.py applies them)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.automation.placeholders import check_placeholders
from deskline.core.emails import check_email, normalize_email
from deskline.core.errors import lazy_message
from deskline.desks.models import Desk, DeskMembership, Role
from deskline.tickets.choices import Channel, Tier
from deskline.tickets.models import Ticket
from deskline.tickets.services import fields as ticket_fields
from deskline.tickets.services.tags import ticket_tag_names

ALL_TYPES = (
    "set",
    "assign",
    "add_tags",
    "remove_tags",
    "add_note",
    "send_mail",
    "notify",
    "webhook",
    "escalate",
)
# What a macro may do besides its reply: change the ticket the agent is looking at.
MACRO_TYPES = ("set", "assign", "add_tags", "remove_tags", "add_note", "escalate")
SETTABLE = (
    "subject",
    "status",
    "priority",
    "impact",
    "urgency",
    "type",
    "tier",
    "category",
    "team",
    "assignee",
)
MAIL_TO = ("requester", "assignee", "team", "supervisors", "address")
NOTIFY_TO = ("assignee", "team", "supervisors", "user")
KEYS = {
    "set": {"field", "value"},
    "assign": {"team", "assignee"},
    "add_tags": {"tags"},
    "remove_tags": {"tags"},
    "add_note": {"body"},
    "send_mail": {"to", "address", "subject", "body", "variants"},
    "notify": {"to", "user", "text"},
    "webhook": {"webhook"},
    "escalate": {"tier"},
}
# Senders that must never get an automatic mail (they may answer it: a mail loop).
AUTOMATED_LOCAL_PARTS = {"noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon"}
AUTOMATED_LOCAL_PARTS |= {"postmaster", "bounce", "bounces"}


def _clean_set_value(desk: Desk, name: str, value: Any, where: str) -> Any:
    try:
        if name.startswith("custom_fields."):
            key = name.removeprefix("custom_fields.")
            return ticket_fields.clean_custom_fields(desk, {key: value}).get(key)
        if name == "subject":
            return ticket_fields.clean_subject(value)
        if name == "status":
            ticket_fields.resolve_status(desk, value)
            return str(value).strip().lower()
        if name == "priority":
            return ticket_fields.clean_priority(value)
        if name in ("impact", "urgency"):
            return ticket_fields.clean_level(name, value)
        if name == "type":
            return ticket_fields.clean_type(value)
        if name == "tier":
            return ticket_fields.clean_tier(value)
        if name == "category":
            found = ticket_fields.resolve_category(desk, value)
            return found.path if found else None
        if name == "team":
            found_team = ticket_fields.resolve_team(desk, value)
            return found_team.slug if found_team else None
        found_agent = ticket_fields.resolve_agent(desk, value)
        return found_agent.email if found_agent else None
    except ValidationError as exc:
        raise ValidationError({where: " ".join(exc.messages)}) from None


def _text(action: dict, key: str, where: str, *, required: bool = True) -> str:
    value = action.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError({f"{where}.{key}": _("a non-empty text is needed")})
    check_placeholders(value, f"{where}.{key}")
    return value


def _clean_variants(variants: Any, where: str) -> dict[str, dict[str, str]]:
    """{language: {"subject", "body"}}: the same mail in other languages."""
    languages = [code for code, _ in settings.LANGUAGES]
    if not isinstance(variants, dict):
        raise ValidationError(
            {
                where: lazy_message(
                    _("an object of languages (%(languages)s) to subject/body"), languages=languages
                )
            }
        )
    cleaned = {}
    for code, variant in variants.items():
        if code not in languages:
            raise ValidationError(
                {
                    f"{where}.{code}": lazy_message(
                        _("not one of %(languages)s"), languages=languages
                    )
                }
            )
        if not isinstance(variant, dict) or set(variant) - {"subject", "body"}:
            raise ValidationError({f"{where}.{code}": _("an object with subject and body")})
        cleaned[code] = {key: _text(variant, key, f"{where}.{code}") for key in ("subject", "body")}
    return cleaned


def mail_text(action: dict, ticket: Ticket) -> tuple[str, str]:
    """(subject, body) of a send_mail action in the reader's language: the requester's
    when mailing them (an auto-response), else the desk's; the base text otherwise."""
    subject, body, _language = mail_text_and_language(action, ticket)
    return subject, body


def mail_text_and_language(action: dict, ticket: Ticket) -> tuple[str, str, str]:
    """mail_text() and the language of the variant it chose ("" for the base text,
    whose language nobody stated)."""
    variants = action.get("variants") or {}
    reader = ticket.requester.language if action["to"] == "requester" else ""
    for code in (reader, ticket.desk.default_language):
        if code in variants:
            return variants[code]["subject"], variants[code]["body"], code
    return action["subject"], action["body"], ""


def clean_action(action: Any, desk: Desk, where: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(action, dict):
        raise ValidationError({where: _("an action is an object with a type")})
    kind = action.get("type")
    if kind not in allowed:
        raise ValidationError(
            {
                f"{where}.type": lazy_message(
                    _("%(value)r is not one of %(choices)s"), value=kind, choices=list(allowed)
                )
            }
        )
    unknown = sorted(set(action) - KEYS[kind] - {"type"})
    if unknown:
        raise ValidationError(
            {f"{where}.{unknown[0]}": lazy_message(_("unknown key for %(kind)s"), kind=kind)}
        )
    cleaned: dict[str, Any] = {"type": kind}
    if kind == "set":
        name = action.get("field")
        if name not in SETTABLE and not str(name).startswith("custom_fields."):
            raise ValidationError(
                {
                    f"{where}.field": lazy_message(
                        _("%(value)r is not one of %(choices)s"),
                        value=name,
                        choices=[*SETTABLE, "custom_fields.<key>"],
                    )
                }
            )
        cleaned["field"] = name
        cleaned["value"] = _clean_set_value(desk, name, action.get("value"), f"{where}.value")
    elif kind == "assign":
        if "team" not in action and "assignee" not in action:
            raise ValidationError({where: _("assign needs a team, an assignee or both")})
        for key in ("team", "assignee"):
            if key in action:
                cleaned[key] = _clean_set_value(desk, key, action[key], f"{where}.{key}")
    elif kind in ("add_tags", "remove_tags"):
        tags = action.get("tags")
        if not isinstance(tags, list):
            raise ValidationError({f"{where}.tags": _("a list of tags")})
        try:
            cleaned["tags"] = ticket_fields.clean_tags(tags)
        except ValidationError as exc:
            raise ValidationError({f"{where}.tags": " ".join(exc.messages)}) from None
        if not cleaned["tags"]:
            raise ValidationError({f"{where}.tags": _("at least one tag")})
    elif kind == "add_note":
        cleaned["body"] = _text(action, "body", where)
    elif kind == "send_mail":
        to = action.get("to")
        if to not in MAIL_TO:
            raise ValidationError(
                {
                    f"{where}.to": lazy_message(
                        _("%(value)r is not one of %(choices)s"), value=to, choices=list(MAIL_TO)
                    )
                }
            )
        cleaned["to"] = to
        if to == "address":
            address = normalize_email(str(action.get("address") or ""))
            try:
                check_email(address)
            except ValidationError:
                raise ValidationError({f"{where}.address": _("a mail address is needed")}) from None
            cleaned["address"] = address
        cleaned["subject"] = _text(action, "subject", where)
        cleaned["body"] = _text(action, "body", where)
        if action.get("variants"):
            cleaned["variants"] = _clean_variants(action["variants"], f"{where}.variants")
    elif kind == "notify":
        to = action.get("to")
        if to not in NOTIFY_TO:
            raise ValidationError(
                {
                    f"{where}.to": lazy_message(
                        _("%(value)r is not one of %(choices)s"),
                        value=to,
                        choices=list(NOTIFY_TO),
                    )
                }
            )
        cleaned["to"] = to
        if to == "user":
            cleaned["user"] = _clean_set_value(
                desk, "assignee", action.get("user"), f"{where}.user"
            )
            if cleaned["user"] is None:
                raise ValidationError({f"{where}.user": _("an agent of the desk is needed")})
        cleaned["text"] = _text(action, "text", where)
    elif kind == "webhook":
        from deskline.automation.models import Webhook

        hook_id = action.get("webhook")
        if not isinstance(hook_id, int) or not Webhook.objects.filter(pk=hook_id, desk=desk):
            raise ValidationError(
                {
                    f"{where}.webhook": lazy_message(
                        _("desk %(desk)s has no webhook %(hook_id)s"),
                        desk=desk.slug,
                        hook_id=hook_id,
                    )
                }
            )
        cleaned["webhook"] = hook_id
    elif kind == "escalate" and action.get("tier") is not None:
        cleaned["tier"] = _clean_set_value(desk, "tier", action["tier"], f"{where}.tier")
    return cleaned


def clean_actions(
    actions: Any, desk: Desk, where: str = "actions", allowed: tuple[str, ...] = ALL_TYPES
) -> list[dict]:
    if actions is None:
        return []
    if not isinstance(actions, list):
        raise ValidationError({where: _("a list of actions")})
    if len(actions) > 50:
        raise ValidationError({where: _("at most 50 actions")})
    return [clean_action(a, desk, f"{where}.{i}", allowed) for i, a in enumerate(actions)]


def ticket_changes(actions: list[dict], ticket: Ticket) -> dict[str, Any]:
    """The update_ticket() changes of the field actions, merged into one call."""
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for action in actions:
        kind = action["type"]
        if kind == "set":
            name = action["field"]
            if name.startswith("custom_fields."):
                custom[name.removeprefix("custom_fields.")] = action["value"]
            else:
                changes[name] = action["value"]
        elif kind == "assign":
            changes.update({k: action[k] for k in ("team", "assignee") if k in action})
        elif kind in ("add_tags", "remove_tags"):
            changes.setdefault(kind, []).extend(action["tags"])
        elif kind == "escalate":
            current = changes.get("tier", ticket.tier)
            changes["tier"] = action.get("tier", min(int(current) + 1, max(Tier.values)))
    if custom:
        changes["custom_fields"] = custom
    return changes


def is_automated_requester(ticket: Ticket) -> bool:
    """Mail systems and robots: an automatic mail to them risks a loop."""
    local = ticket.requester.email.split("@")[0].lower()
    if local in AUTOMATED_LOCAL_PARTS or ticket.channel == Channel.WEBHOOK:
        return True
    first = ticket.messages.order_by("created_at", "id").first()
    if first is None or not isinstance(first.source_headers, dict):
        return False
    headers = {str(k).lower(): str(v).lower() for k, v in first.source_headers.items()}
    if headers.get("auto-submitted", "no").strip() not in ("", "no"):
        return True
    if headers.get("precedence", "").strip() in ("bulk", "junk", "list", "auto_reply"):
        return True
    return "x-auto-response-suppress" in headers or "list-id" in headers


def supervisors(desk_id: int) -> list[User]:
    ids = DeskMembership.objects.filter(desk_id=desk_id, role=Role.SUPERVISOR).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def people_for(to: str, ticket: Ticket, action: dict) -> list[User]:
    """The agents (or requester) an action addresses on this ticket."""
    if to == "requester":
        return [] if is_automated_requester(ticket) else [ticket.requester]
    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "team":
        return list(ticket.team.members.filter(is_active=True)) if ticket.team_id else []
    if to == "supervisors":
        return supervisors(ticket.desk_id)
    if to == "user":
        return list(User.objects.filter(email=action["user"], is_active=True))
    return []


def mail_recipients(action: dict, ticket: Ticket) -> list[str]:
    if action["to"] == "address":
        return [action["address"]]
    return sorted({u.email for u in people_for(action["to"], ticket, action)})


def describe(actions: list[dict], ticket: Ticket) -> list[dict[str, Any]]:
    """What the actions would do to this ticket, without doing it (dry runs)."""
    plan: list[dict[str, Any]] = []
    changes = ticket_changes(actions, ticket)
    if changes:
        plan.append({"type": "update", "changes": _field_diff(changes, ticket)})
    for action in actions:
        kind = action["type"]
        if kind == "add_note":
            plan.append({"type": "add_note", "body": action["body"]})
        elif kind == "send_mail":
            plan.append(
                {
                    "type": "send_mail",
                    "to": mail_recipients(action, ticket),
                    "subject": mail_text(action, ticket)[0],
                }
            )
        elif kind == "notify":
            people = people_for(action["to"], ticket, action)
            plan.append({"type": "notify", "to": sorted(u.email for u in people)})
        elif kind == "webhook":
            plan.append({"type": "webhook", "webhook": action["webhook"]})
    return plan


def _field_diff(changes: dict[str, Any], ticket: Ticket) -> dict[str, dict[str, Any]]:
    current = {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "type": ticket.ticket_type,
        "tier": ticket.tier,
        "category": ticket.category.path if ticket.category_id else None,
        "team": ticket.team.slug if ticket.team_id else None,
        "assignee": ticket.assignee.email if ticket.assignee_id else None,
    }
    diff: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        if name in ("add_tags", "remove_tags"):
            tags = ticket_tag_names(ticket)
            diff[name] = {"before": tags, "after": value}
        elif name == "custom_fields":
            for key, item in value.items():
                before = (ticket.custom_fields or {}).get(key)
                diff[f"custom_fields.{key}"] = {"before": before, "after": item}
        else:
            diff[name] = {"before": current.get(name), "after": value}
    return diff
