"""Conditions of triggers and scheduled rules: JSON checked when saved, evaluated on a ticket.

Shape: {"all": [condition...], "any": [condition...]}; every "all" condition must hold
and, when "any" is not empty, at least one of those. A condition is
{"field": ..., "op": ..., "value": ...}; see FIELDS for the fields and their operators.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import Organization
from deskline.core.errors import lazy_message
from deskline.desks.models import CustomField, Desk
from deskline.tickets.choices import Channel, Level, Priority, TicketType
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services import fields as ticket_fields
from deskline.tickets.services.tags import ticket_tag_names

EQUALITY = ("is", "is_not", "in", "not_in")
ORDER = ("gt", "gte", "lt", "lte")
PRESENCE = ("is_set", "is_not_set")
TEXT = ("contains", "not_contains")
RANKS = {
    "priority": [p.value for p in Priority],
    "impact": [lv.value for lv in Level],
    "urgency": [lv.value for lv in Level],
    "tier": [0, 1, 2, 3, 4],
}
# field → (kind, operators)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("choice", (*EQUALITY, "changed")),
    "priority": ("choice", (*EQUALITY, *ORDER, "changed")),
    "impact": ("choice", (*EQUALITY, *ORDER, "changed")),
    "urgency": ("choice", (*EQUALITY, *ORDER, "changed")),
    "type": ("choice", (*EQUALITY, "changed")),
    "tier": ("choice", (*EQUALITY, *ORDER, "changed")),
    "channel": ("choice", EQUALITY),
    "requester.language": ("choice", EQUALITY),
    "team": ("ref", (*EQUALITY, *PRESENCE, "changed")),
    "assignee": ("ref", (*EQUALITY, *PRESENCE, "changed")),
    "organization": ("ref", (*EQUALITY, *PRESENCE)),
    "category": ("ref", (*EQUALITY, *PRESENCE, "changed")),
    "subject": ("text", ("is", "is_not", *TEXT, "changed")),
    "message.body": ("text", TEXT),
    "text": ("text", TEXT),
    "requester.email": ("text", ("is", "is_not", *TEXT)),
    "message.internal": ("bool", ("is",)),
    "business_hours": ("bool", ("is",)),
    "tags": ("tags", (*TEXT, "changed")),
}
CUSTOM_OPS = (*EQUALITY, *ORDER, *PRESENCE, *TEXT, "changed")
# Condition field → the name update_ticket reports in a change's fields.
CHANGED_AS = {"type": "ticket_type"}


@dataclass
class Context:
    """What conditions look at: the ticket, and the event that woke the trigger."""

    ticket: Ticket
    event: str = ""
    message: Message | None = None
    changed: tuple[str, ...] = ()
    now: datetime = field(default_factory=timezone.now)
    _tags: list[str] | None = None

    @property
    def tags(self) -> list[str]:
        if self._tags is None:
            self._tags = ticket_tag_names(self.ticket)
        return self._tags


def _choices(name: str, desk: Desk) -> list[Any]:
    return {
        "status": None,
        "priority": Priority.values,
        "impact": Level.values,
        "urgency": Level.values,
        "type": TicketType.values,
        "tier": RANKS["tier"],
        "channel": Channel.values,
        "requester.language": [code for code, _ in settings.LANGUAGES],
    }[name]


def _clean_one_value(name: str, kind: str, value: Any, desk: Desk, where: str) -> Any:
    """One comparison value, normalized; errors name `where`."""
    if kind == "choice":
        if name == "status":
            text = str(value).strip().lower()
            try:
                ticket_fields.resolve_status(desk, text)
            except ValidationError:
                raise ValidationError(
                    {where: lazy_message(_("unknown status %(value)r"), value=value)}
                ) from None
            return text
        if name == "tier":
            try:
                return ticket_fields.clean_tier(value)
            except ValidationError:
                raise ValidationError(
                    {where: lazy_message(_("%(value)r is not a tier (0–4)"), value=value)}
                ) from None
        allowed = _choices(name, desk)
        text = str(value).strip().lower()
        if text not in allowed:
            raise ValidationError(
                {
                    where: lazy_message(
                        _("%(value)r is not one of %(choices)s"), value=value, choices=allowed
                    )
                }
            )
        return text
    if kind == "ref":
        return _clean_ref(name, value, desk, where)
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ValidationError({where: _("a non-empty text is needed")})
        return value.strip()
    if kind == "tags":
        tags = ticket_fields.clean_tags([value]) if isinstance(value, str) else None
        if not tags:
            raise ValidationError({where: _("a tag is needed")})
        return tags[0]
    raise ValidationError({where: _("invalid value")})


def _clean_ref(name: str, value: Any, desk: Desk, where: str) -> str:
    text = str(value or "").strip()
    try:
        if name == "team":
            return ticket_fields.resolve_team(desk, text).slug  # type: ignore[union-attr]
        if name == "assignee":
            return ticket_fields.resolve_agent(desk, text).email  # type: ignore[union-attr]
        if name == "category":
            return ticket_fields.resolve_category(desk, text).path  # type: ignore[union-attr]
    except (ValidationError, AttributeError):
        raise ValidationError(
            {
                where: lazy_message(
                    _("desk %(desk)s has no %(name)s %(value)r"),
                    desk=desk.slug,
                    name=name,
                    value=value,
                )
            }
        ) from None
    found = Organization.objects.filter(name__iexact=text).first() if text else None
    if found is None:
        raise ValidationError({where: lazy_message(_("no organization %(value)r"), value=value)})
    return found.name


def _clean_custom(key: str, op: str, value: Any, desk: Desk, where: str) -> Any:
    definition = CustomField.objects.filter(desk=desk, key=key).first()
    if definition is None:
        raise ValidationError(
            {
                f"{where}.field": lazy_message(
                    _("desk %(desk)s has no custom field %(key)r"), desk=desk.slug, key=key
                )
            }
        )
    if op in PRESENCE or op == "changed":
        return None
    if op in TEXT:
        if not isinstance(value, str) or not value:
            raise ValidationError({f"{where}.value": _("a non-empty text is needed")})
        return value
    values = value if op in ("in", "not_in") else [value]
    if not isinstance(values, list) or not values:
        raise ValidationError({f"{where}.value": _("a non-empty list is needed")})
    cleaned = []
    for item in values:
        try:
            merged = ticket_fields.clean_custom_fields(desk, {key: item})
        except ValidationError as exc:
            raise ValidationError({f"{where}.value": " ".join(exc.messages)}) from None
        cleaned.append(merged[key])
    return cleaned if op in ("in", "not_in") else cleaned[0]


def _clean_business_hours(condition: dict, where: str) -> dict:
    from deskline.sla.calendar import parse_hours, zone

    extra: dict[str, Any] = {}
    if "calendar" in condition:
        if not apps.is_installed("deskline.sla"):
            raise ValidationError({f"{where}.calendar": _("calendars need the SLA app")})
        from deskline.sla.models import Calendar

        if not Calendar.objects.filter(name=condition["calendar"]).exists():
            raise ValidationError(
                {
                    f"{where}.calendar": lazy_message(
                        _("no calendar %(calendar)r"), calendar=condition["calendar"]
                    )
                }
            )
        extra["calendar"] = condition["calendar"]
    else:
        try:
            parse_hours(condition.get("hours") or {})
            zone(str(condition.get("time_zone") or "UTC"))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError({f"{where}.hours": str(exc)}) from None
        extra["hours"] = condition.get("hours") or {}
        extra["time_zone"] = str(condition.get("time_zone") or "UTC")
    return extra


def clean_condition(condition: Any, desk: Desk, where: str) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise ValidationError({where: _("a condition is an object with field, op and value")})
    name = condition.get("field")
    op = condition.get("op")
    allowed_keys = {"field", "op", "value"}
    if name == "business_hours":
        allowed_keys |= {"calendar", "hours", "time_zone"}
    unknown = sorted(set(condition) - allowed_keys)
    if unknown:
        raise ValidationError({f"{where}.{unknown[0]}": _("unknown key")})
    if not isinstance(name, str):
        raise ValidationError({f"{where}.field": _("field is required")})
    value = condition.get("value")
    if name.startswith("custom_fields."):
        if op not in CUSTOM_OPS:
            raise ValidationError(
                {
                    f"{where}.op": lazy_message(
                        _("%(value)r is not one of %(choices)s"),
                        value=op,
                        choices=list(CUSTOM_OPS),
                    )
                }
            )
        key = name.removeprefix("custom_fields.")
        return {"field": name, "op": op, "value": _clean_custom(key, op, value, desk, where)}
    if name not in FIELDS:
        known = [*FIELDS, "custom_fields.<key>"]
        raise ValidationError(
            {
                f"{where}.field": lazy_message(
                    _("unknown field %(name)r; one of %(known)s"), name=name, known=known
                )
            }
        )
    kind, ops = FIELDS[name]
    if op not in ops:
        raise ValidationError(
            {
                f"{where}.op": lazy_message(
                    _("%(value)r is not one of %(choices)s for %(field)s"),
                    value=op,
                    choices=list(ops),
                    field=name,
                )
            }
        )
    cleaned: dict[str, Any] = {"field": name, "op": op}
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValidationError({f"{where}.value": _("true or false")})
        cleaned["value"] = value
        if name == "business_hours":
            cleaned.update(_clean_business_hours(condition, where))
        return cleaned
    if op in PRESENCE or op == "changed":
        cleaned["value"] = None
        return cleaned
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValidationError({f"{where}.value": _("a non-empty list is needed")})
        cleaned["value"] = [
            _clean_one_value(name, kind, v, desk, f"{where}.value.{i}") for i, v in enumerate(value)
        ]
        return cleaned
    if op in ORDER and name not in RANKS:
        raise ValidationError({f"{where}.op": lazy_message(_("%(name)s has no order"), name=name)})
    cleaned["value"] = _clean_one_value(name, kind, value, desk, f"{where}.value")
    return cleaned


def clean_conditions(conditions: Any, desk: Desk, where: str = "conditions") -> dict[str, list]:
    """Checked and normalized conditions; errors name the path, e.g. conditions.all.0.op."""
    if conditions in (None, {}):
        return {"all": [], "any": []}
    if not isinstance(conditions, dict):
        raise ValidationError({where: _('an object {"all": [...], "any": [...]}')})
    unknown = sorted(set(conditions) - {"all", "any"})
    if unknown:
        raise ValidationError({f"{where}.{unknown[0]}": _("use 'all' and 'any'")})
    cleaned: dict[str, list] = {}
    for group in ("all", "any"):
        items = conditions.get(group) or []
        if not isinstance(items, list):
            raise ValidationError({f"{where}.{group}": _("a list of conditions")})
        if len(items) > 50:
            raise ValidationError({f"{where}.{group}": _("at most 50 conditions")})
        cleaned[group] = [
            clean_condition(c, desk, f"{where}.{group}.{i}") for i, c in enumerate(items)
        ]
    return cleaned


# --- evaluation -------------------------------------------------------------------


def _actual(name: str, ctx: Context) -> Any:
    ticket = ctx.ticket
    if name.startswith("custom_fields."):
        return (ticket.custom_fields or {}).get(name.removeprefix("custom_fields."))
    body = ctx.message.body_text if ctx.message is not None else ""
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "type": ticket.ticket_type,
        "tier": ticket.tier,
        "channel": ticket.channel,
        "requester.language": ticket.requester.language,
        "requester.email": ticket.requester.email,
        "team": ticket.team.slug if ticket.team_id else None,
        "assignee": ticket.assignee.email if ticket.assignee_id else None,
        "organization": ticket.organization.name if ticket.organization_id else None,
        "category": ticket.category.path if ticket.category_id else None,
        "subject": ticket.subject,
        "message.body": body,
        "text": f"{ticket.subject}\n{body}",
        "message.internal": bool(ctx.message is not None and ctx.message.internal),
        "tags": ctx.tags,
    }[name]


def _in_business_hours(condition: dict, now: datetime) -> bool:
    from deskline.sla.calendar import BusinessCalendar, is_business_time, parse_hours

    if "calendar" in condition:
        from deskline.sla.models import Calendar
        from deskline.sla.services.calendars import business_calendar

        row = Calendar.objects.filter(name=condition["calendar"]).first()
        return row is not None and is_business_time(now, business_calendar(row))
    calendar = BusinessCalendar(condition["time_zone"], parse_hours(condition["hours"]))
    return is_business_time(now, calendar)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


def _rank(name: str, value: Any) -> Any:
    if name in RANKS:
        return RANKS[name].index(value) if value in RANKS[name] else None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)


def _compare(op: str, name: str, actual: Any, expected: Any) -> bool:
    left, right = _rank(name, actual), _rank(name, expected)
    if left is None or right is None or type(left) is not type(right):
        return False
    return {
        "gt": left > right,
        "gte": left >= right,
        "lt": left < right,
        "lte": left <= right,
    }[op]


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return any(_same(item, expected) for item in actual)
    return str(expected).casefold() in str(actual or "").casefold()


def holds(condition: dict, ctx: Context) -> tuple[bool, Any]:
    """Whether one (cleaned) condition holds, and the value it looked at."""
    name, op, expected = condition["field"], condition["op"], condition.get("value")
    if name == "business_hours":
        actual = _in_business_hours(condition, ctx.now)
        return actual == expected, actual
    if op == "changed":
        changed_as = (
            "custom_fields" if name.startswith("custom_fields.") else CHANGED_AS.get(name, name)
        )
        return changed_as in ctx.changed, list(ctx.changed)
    actual = _actual(name, ctx)
    if name == "status" and ctx.ticket.custom_status_id is not None:
        statuses = [actual, ctx.ticket.custom_status.slug]
    else:
        statuses = [actual]
    if op == "is":
        return any(_same(a, expected) for a in statuses), actual
    if op == "is_not":
        return not any(_same(a, expected) for a in statuses), actual
    if op == "in":
        return any(_same(a, e) for a in statuses for e in expected), actual
    if op == "not_in":
        return not any(_same(a, e) for a in statuses for e in expected), actual
    if op == "is_set":
        return actual not in (None, "", []), actual
    if op == "is_not_set":
        return actual in (None, "", []), actual
    if op == "contains":
        return _contains(actual, expected), actual
    if op == "not_contains":
        return not _contains(actual, expected), actual
    return _compare(op, name, actual, expected), actual


def explain(conditions: dict, ctx: Context) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the conditions match, with each condition's result (for dry runs)."""
    report: list[dict[str, Any]] = []
    results: dict[str, list[bool]] = {"all": [], "any": []}
    for group in ("all", "any"):
        for condition in conditions.get(group) or []:
            ok, actual = holds(condition, ctx)
            results[group].append(ok)
            report.append({"group": group, **condition, "actual": actual, "result": ok})
    matched = all(results["all"]) and (not results["any"] or any(results["any"]))
    return matched, report


def matches(conditions: dict, ctx: Context) -> bool:
    for condition in conditions.get("all") or []:
        if not holds(condition, ctx)[0]:
            return False
    any_group = conditions.get("any") or []
    return not any_group or any(holds(c, ctx)[0] for c in any_group)
