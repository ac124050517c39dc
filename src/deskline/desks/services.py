"""Desk configuration operations."""

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.accounts.services import record_audit
from deskline.core.errors import Forbidden, lazy_message
from deskline.desks.models import (
    Category,
    CustomField,
    Desk,
    DeskMembership,
    FieldType,
    Role,
    Team,
    Visibility,
)

M = TypeVar("M", bound=models.Model)


def create_desk(
    *,
    name: str,
    slug: str,
    prefix: str,
    visibility: str = Visibility.EXTERNAL,
    description: str = "",
    default_language: str = "en",
    actor: User | None = None,
) -> Desk:
    desk = Desk(
        name=name,
        slug=slug,
        prefix=prefix,
        visibility=visibility,
        description=description,
        default_language=default_language,
    )
    desk.full_clean()
    with transaction.atomic():
        desk.save()
        record_audit(actor, "desk.created", desk, data={"slug": slug, "prefix": prefix})
    return desk


# What a desk's supervisors may change on it: its name and description. The rest says
# who may see the desk and its tickets (visibility), where its portal form and ticket
# numbers live (slug, prefix) and whether it takes requests (is_active): admins decide
# those, as Zendesk and Jira Service Management leave them to administrators.
SUPERVISOR_DESK_FIELDS = frozenset({"name", "description"})
DESK_FIELDS = frozenset(
    {"name", "slug", "prefix", "visibility", "description", "default_language", "is_active"}
)


def may_change_desk_field(actor: User, desk: Desk, field: str) -> bool:
    if actor.is_superuser:
        return True
    supervises = DeskMembership.objects.filter(desk=desk, user=actor, role=Role.SUPERVISOR)
    return field in SUPERVISOR_DESK_FIELDS and supervises.exists()


def update_desk(desk: Desk, changes: dict[str, Any], *, actor: User | None) -> Desk:
    """Change a desk's settings (actor=None: the system). Refused whole, naming the
    first field the actor may not change, when any of them is not theirs."""
    _refuse_unknown(changes, DESK_FIELDS)
    with transaction.atomic():
        locked, changed = _locked_and_changed(desk, changes)
        if actor is not None:
            refused = [f for f in changed if not may_change_desk_field(actor, locked, f)]
            if refused:
                raise Forbidden(
                    lazy_message(_("only admins may change a desk's %(field)s"), field=refused[0])
                )
        before = {name: getattr(locked, name) for name in changed}
        for name in changed:
            setattr(locked, name, changes[name])
        locked.full_clean()
        if changed:
            locked.save(update_fields=changed)
            # What it was and what it became: who opened an internal desk to everyone.
            data = {
                "fields": changed,
                "from": {name: _audited_value(before[name]) for name in changed},
                "to": {name: _audited_value(getattr(locked, name)) for name in changed},
            }
            record_audit(actor, "desk.updated", locked, data=data)
    return locked


def _refuse_unknown(changes: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            {unknown[0]: lazy_message(_("%(field)r cannot be changed"), field=unknown[0])}
        )


def _locked_and_changed(row: M, changes: dict[str, Any]) -> tuple[M, list[str]]:
    """The row read afresh and locked (call inside a transaction), and the names of the
    fields whose value `changes` alters, sorted."""
    locked = type(row)._default_manager.select_for_update().get(pk=row.pk)
    return locked, sorted(k for k, v in changes.items() if getattr(locked, k) != v)


def _audited_value(value: Any) -> Any:
    return value[:200] if isinstance(value, str) else value


def set_desk_role(desk: Desk, user: User, role: str | None, *, actor: User | None) -> None:
    """Give `user` a role on `desk`, or take it away with role=None.

    Supervisors manage their desk's agents; making, demoting or removing a supervisor
    is an admin's decision (actor=None: the system, as for `deskline demo`)."""
    if role is not None and role not in Role.values:
        raise ValidationError(
            {
                "role": lazy_message(
                    _("unknown role %(role)r; use one of %(choices)s"),
                    role=role,
                    choices=Role.values,
                )
            }
        )
    if actor is not None and not actor.is_superuser:
        if role == Role.SUPERVISOR:
            raise Forbidden(_("only admins may make supervisors"))
        current = DeskMembership.objects.filter(desk=desk, user=user).values_list("role", flat=True)
        if Role.SUPERVISOR in current:
            raise Forbidden(_("only admins may change a supervisor's role"))
    with transaction.atomic():
        if role is None:
            DeskMembership.objects.filter(desk=desk, user=user).delete()
        else:
            DeskMembership.objects.update_or_create(desk=desk, user=user, defaults={"role": role})
        record_audit(actor, "desk.role_set", desk, data={"user": user.email, "role": role})


def create_team(
    desk: Desk, *, name: str, slug: str, tier: int = 1, actor: User | None = None
) -> Team:
    team = Team(desk=desk, name=name, slug=slug, tier=tier)
    team.full_clean()
    with transaction.atomic():
        team.save()
        record_audit(actor, "team.created", team, data={"desk": desk.slug, "slug": slug})
    return team


def create_category(
    desk: Desk, *, name: str, slug: str, parent: Category | None = None
) -> Category:
    category = Category(desk=desk, name=name, slug=slug, parent=parent)
    category.path = f"{parent.path}/{slug}" if parent else slug
    if Category.objects.filter(desk=desk, path=category.path).exists():
        # full_clean() says so too, but under "__all__", which names no field.
        raise ValidationError(
            {
                "slug": lazy_message(
                    _("desk %(desk)s has a category %(category)r"),
                    desk=desk.slug,
                    category=category.path,
                )
            }
        )
    category.full_clean()
    category.save()
    return category


# A field shown to requesters puts what agents write into it on the requester's page,
# portal form and API answers: admins decide that, as Zendesk and Jira Service
# Management leave what customers see of a ticket to administrators. A desk's
# supervisors make fields for their agents (hidden from requesters) and may hide one.
REQUESTER_VISIBILITY = "visible_to_requester"
CUSTOM_FIELD_FIELDS = frozenset(
    {"key", "label", "field_type", "choices", "required", REQUESTER_VISIBILITY, "position"}
)


def may_show_fields_to_requesters(actor: User | None) -> bool:
    return actor is None or (actor.is_active and actor.is_superuser)


def _check_choices(kind: str, options: Any) -> None:
    if kind not in FieldType.values:
        raise ValidationError(
            {
                "field_type": lazy_message(
                    _("%(value)r is not one of %(choices)s"), value=kind, choices=FieldType.values
                )
            }
        )
    if kind in (FieldType.CHOICE, FieldType.MULTICHOICE):
        if not options or not all(isinstance(o, str) and o.strip() for o in options):
            raise ValidationError(
                {
                    "choices": lazy_message(
                        _("a %(kind)s field needs a list of texts to offer"), kind=kind
                    )
                }
            )


def create_custom_field(desk: Desk, *, actor: User | None = None, **values: Any) -> CustomField:
    """A new field on the desk's tickets; every refusal names the field at fault.

    Shown to requesters when an admin (or the system, actor=None) makes it and does not
    say otherwise; a supervisor's field is hidden from them, and asking to show it is
    refused."""
    shown = values.get(REQUESTER_VISIBILITY)
    if shown is None:
        values[REQUESTER_VISIBILITY] = may_show_fields_to_requesters(actor)
    elif shown and not may_show_fields_to_requesters(actor):
        raise Forbidden(_("only admins may show a custom field to requesters"))
    _check_choices(values.get("field_type", FieldType.TEXT), values.get("choices"))
    if CustomField.objects.filter(desk=desk, key=values.get("key")).exists():
        raise ValidationError(
            {
                "key": lazy_message(
                    _("desk %(desk)s has a custom field %(key)r"),
                    desk=desk.slug,
                    key=values["key"],
                )
            }
        )
    field = CustomField(desk=desk, **values)
    field.full_clean()
    with transaction.atomic():
        field.save()
        record_audit(actor, "custom_field.created", field, data=_audit_data(field))
    return field


def update_custom_field(
    field: CustomField, changes: dict[str, Any], *, actor: User | None
) -> CustomField:
    """Change a field's definition; showing it to requesters takes an admin."""
    _refuse_unknown(changes, CUSTOM_FIELD_FIELDS)
    with transaction.atomic():
        locked, changed = _locked_and_changed(field, changes)
        showing = REQUESTER_VISIBILITY in changed and changes[REQUESTER_VISIBILITY]
        if showing and not may_show_fields_to_requesters(actor):
            raise Forbidden(_("only admins may show a custom field to requesters"))
        for name in changed:
            setattr(locked, name, changes[name])
        _check_choices(locked.field_type, locked.choices)
        locked.full_clean()
        if changed:
            locked.save(update_fields=changed)
            data = {**_audit_data(locked), "fields": changed}
            record_audit(actor, "custom_field.updated", locked, data=data)
    return locked


def _audit_data(field: CustomField) -> dict[str, Any]:
    return {
        "desk": field.desk.slug,
        "key": field.key,
        REQUESTER_VISIBILITY: field.visible_to_requester,
    }
