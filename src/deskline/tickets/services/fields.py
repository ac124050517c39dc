"""Turning outside values (ids, slugs, paths, emails) into a desk's objects, with
errors that name the field."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core import rows
from deskline.core.errors import lazy_message
from deskline.core.ids import looks_numeric, parse_id, pk_or
from deskline.desks.models import Category, CustomField, Desk, FieldType, Team
from deskline.tickets.choices import Level, Priority, Status, TicketType, Tier
from deskline.tickets.models import StatusDefinition


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def resolve_desk(value: int | str) -> Desk:
    text = str(value).strip()
    # A plain read by a unique key (core/rows.py): every ticket created through the API
    # starts here.
    if looks_numeric(text):
        number = parse_id(text)
        desk = rows.first(Desk, "pk", number) if number is not None else None
    else:
        desk = rows.first(Desk, "slug", text.lower())
    if desk is None or not desk.is_active:
        raise _error("desk", lazy_message(_("no desk %(value)r"), value=value))
    return desk


def resolve_category(
    desk: Desk, value: int | str | None, *, field: str = "category"
) -> Category | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = pk_or(text.strip("/"), "path")
    category = Category.objects.filter(query, desk=desk).first()
    if category is None:
        raise _error(
            field,
            lazy_message(_("desk %(desk)s has no category %(value)r"), desk=desk.slug, value=value),
        )
    return category


def resolve_team(desk: Desk, value: int | str | None) -> Team | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = pk_or(text, "slug")
    team = Team.objects.filter(query, desk=desk).first()
    if team is None:
        raise _error(
            "team",
            lazy_message(_("desk %(desk)s has no team %(value)r"), desk=desk.slug, value=value),
        )
    return team


def resolve_agent(desk: Desk, value: int | str | None, *, field: str = "assignee") -> User | None:
    """A user who may work tickets of this desk (admin, supervisor or agent)."""
    from deskline.tickets.access import EDITING_ROLES, role_on_desk

    if value in (None, ""):
        return None
    text = str(value).strip()
    query = pk_or(text, "email")
    user = User.objects.filter(query, is_active=True).first()
    if user is None:
        raise _error(field, lazy_message(_("no user %(value)r"), value=value))
    if role_on_desk(user, desk.pk) not in EDITING_ROLES:
        raise _error(
            field,
            lazy_message(
                _("%(user)s is not an agent of desk %(desk)s"), user=user.email, desk=desk.slug
            ),
        )
    return user


def check_belongs_to_desk(
    desk: Desk,
    *,
    category: Category | None = None,
    team: Team | None = None,
    assignee: User | None = None,
) -> None:
    """Objects given directly (not by outside value) must still be the desk's own."""
    from deskline.tickets.access import EDITING_ROLES, role_on_desk

    if category is not None and category.desk_id != desk.pk:
        raise _error(
            "category",
            lazy_message(
                _("category %(category)s is not of desk %(desk)s"),
                category=category.path,
                desk=desk.slug,
            ),
        )
    if team is not None and team.desk_id != desk.pk:
        raise _error(
            "team",
            lazy_message(
                _("team %(team)s is not of desk %(desk)s"), team=team.slug, desk=desk.slug
            ),
        )
    if assignee is not None and role_on_desk(assignee, desk.pk) not in EDITING_ROLES:
        raise _error(
            "assignee",
            lazy_message(
                _("%(user)s is not an agent of desk %(desk)s"),
                user=assignee.email,
                desk=desk.slug,
            ),
        )


def resolve_status(desk: Desk, value: str) -> tuple[str, StatusDefinition | None]:
    """A base status, or an admin-defined one (by slug) with the base it maps to."""
    text = str(value).strip().lower()
    if text in Status.values:
        return text, None
    definition = (
        StatusDefinition.objects.filter(slug=text)
        .filter(Q(desk=desk) | Q(desk__isnull=True))
        .order_by("desk_id")
        .first()
    )
    if definition is None:
        raise _error(
            "status",
            lazy_message(
                _("unknown status %(value)r; use one of %(choices)s"),
                value=value,
                choices=Status.values,
            ),
        )
    return definition.base_status, definition


def check_choice(field: str, value: Any, choices: list[Any]) -> Any:
    if value not in choices:
        raise _error(
            field,
            lazy_message(_("%(value)r is not one of %(choices)s"), value=value, choices=choices),
        )
    return value


# Listed once: `Choices.values` builds its list, and every label, on each read, and
# every ticket opened checks several of them.
_LEVELS, _PRIORITIES, _TYPES, _TIERS = Level.values, Priority.values, TicketType.values, Tier.values


def clean_level(field: str, value: str) -> str:
    return check_choice(field, str(value).lower(), _LEVELS)


def clean_priority(value: str) -> str:
    return check_choice("priority", str(value).lower(), _PRIORITIES)


def clean_type(value: str) -> str:
    return check_choice("type", str(value).lower(), _TYPES)


def clean_tier(value: int | str) -> int:
    try:
        tier = int(str(value).upper().removeprefix("L"))
    except ValueError:
        raise _error(
            "tier", lazy_message(_("%(value)r is not a tier (0–4 or L0–L4)"), value=value)
        ) from None
    return check_choice("tier", tier, _TIERS)


def clean_subject(value: str) -> str:
    subject = " ".join(str(value or "").split())
    if not subject:
        raise _error("subject", _("subject must not be empty"))
    return subject[:500]


def clean_tags(values: list[str] | tuple[str, ...] | None) -> list[str]:
    tags: list[str] = []
    for raw in values or []:
        tag = "-".join(str(raw).strip().lower().split())
        if not tag:
            continue
        if len(tag) > 100 or "," in tag:
            raise _error(
                "tags",
                lazy_message(
                    _("%(tag)r is not a valid tag (no commas, at most 100 characters)"), tag=raw
                ),
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def _coerce_custom(definition: CustomField, value: Any) -> Any:
    name = f"custom_fields.{definition.key}"
    kind = definition.field_type
    try:
        if kind in (FieldType.TEXT, FieldType.TEXTAREA):
            # A number may stand for its digits; a list or object has no text of its own.
            if isinstance(value, (bool, list, dict)):
                raise ValueError
            return str(value)
        if kind == FieldType.INTEGER:
            # 1.5 is not a whole number: int() would quietly store 1.
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == FieldType.DECIMAL:
            if isinstance(value, (bool, list, dict)):
                raise ValueError
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError
            return str(number)
        if kind == FieldType.DATE:
            return datetime.date.fromisoformat(str(value)).isoformat()
        if kind == FieldType.CHECKBOX:
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == FieldType.CHOICE:
            return check_choice(name, value, definition.choices)
        if kind == FieldType.MULTICHOICE:
            if not isinstance(value, list):
                raise ValueError
            for item in value:
                check_choice(name, item, definition.choices)
            return value
    except (ValueError, TypeError, InvalidOperation):
        raise _error(
            name,
            lazy_message(
                _("%(value)r is not a valid %(kind)s"),
                value=value,
                kind=definition.get_field_type_display(),
            ),
        ) from None
    raise _error(name, lazy_message(_("unsupported field type %(kind)s"), kind=kind))


def clean_custom_fields(
    desk: Desk,
    values: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
    enforce_required: bool = False,
) -> dict[str, Any]:
    """Validate values against the desk's field definitions and merge them into current.

    A value of None removes the field.
    """
    result = dict(current or {})
    if not values and not enforce_required:
        return result  # nothing to check against the definitions: spare reading them
    definitions = {field.key: field for field in CustomField.objects.filter(desk=desk)}
    for key, value in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            raise _error(
                f"custom_fields.{key}",
                lazy_message(
                    _("desk %(desk)s has no custom field %(key)r"), desk=desk.slug, key=key
                ),
            )
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _coerce_custom(definition, value)
    if enforce_required:
        for key, definition in definitions.items():
            if definition.required and result.get(key) in (None, "", []):
                raise _error(
                    f"custom_fields.{key}",
                    lazy_message(_("%(field)s is required"), field=definition.label),
                )
    return result
