from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Conflict, lazy_message
from deskline.tickets.choices import Status, priority_for
from deskline.tickets.models import Ticket, TicketEvent
from deskline.tickets.services import fields, hooks
from deskline.tickets.services.events import event, save_events
from deskline.tickets.services.tags import set_ticket_tags, ticket_tag_names

# Fields a caller may change, in the order they are applied.
UPDATABLE = (
    "subject",
    "status",
    "impact",
    "urgency",
    "priority",
    "type",
    "tier",
    "category",
    "team",
    "assignee",
    "tags",
    "add_tags",
    "remove_tags",
    "custom_fields",
)


def _ref(obj: Any) -> Any:
    """How an object is written in an event: small and still readable later."""
    if obj is None:
        return None
    if hasattr(obj, "email"):
        return {"id": obj.pk, "email": obj.email}
    if hasattr(obj, "path"):
        return {"id": obj.pk, "path": obj.path}
    if hasattr(obj, "slug"):
        return {"id": obj.pk, "slug": obj.slug}
    return obj


def _set(
    ticket: Ticket, attr: str, value: Any, field: str, events: list, actor: User | None
) -> bool:
    before = getattr(ticket, attr)
    if before == value:
        return False
    setattr(ticket, attr, value)
    events.append(
        event(ticket, actor, "field_changed", field=field, before=_ref(before), after=_ref(value))
    )
    return True


def _apply_status(ticket: Ticket, value: str, events: list, actor: User | None) -> list[str]:
    base, definition = fields.resolve_status(ticket.desk, value)
    changed: list[str] = []
    now = timezone.now()
    if base != ticket.status:
        events.append(
            event(ticket, actor, "field_changed", field="status", before=ticket.status, after=base)
        )
        ticket.status = base
        changed.append("status")
        if base == Status.SOLVED:
            ticket.solved_at = now
        elif base == Status.CLOSED:
            ticket.closed_at = now
            ticket.solved_at = ticket.solved_at or now
        else:
            ticket.solved_at = None
        changed += ["solved_at", "closed_at"]
    if definition != ticket.custom_status:
        _set(ticket, "custom_status", definition, "custom_status", events, actor)
        changed.append("custom_status")
    return changed


def update_ticket(
    ticket: Ticket, *, actor: User | None, changes: dict[str, Any]
) -> list[TicketEvent]:
    """Apply field changes given as outside values (slugs, ids, emails); write one event a field.

    Unknown keys are rejected; a closed ticket cannot change.
    """
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise ValidationError(
            {unknown[0]: lazy_message(_("%(field)r cannot be changed"), field=unknown[0])}
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("desk").get(pk=ticket.pk)
        if locked.status == Status.CLOSED:
            raise Conflict(
                lazy_message(
                    _("%(ticket)s is closed; closed tickets cannot change"), ticket=locked.number
                )
            )
        desk = locked.desk
        events: list[TicketEvent] = []
        changed: set[str] = set()

        if "subject" in changes and _set(
            locked, "subject", fields.clean_subject(changes["subject"]), "subject", events, actor
        ):
            changed.add("subject")
        if "status" in changes:
            changed.update(_apply_status(locked, changes["status"], events, actor))
        level_changed = False
        for name in ("impact", "urgency"):
            if name in changes and _set(
                locked, name, fields.clean_level(name, changes[name]), name, events, actor
            ):
                changed.add(name)
                level_changed = True
        if "priority" in changes:
            new_priority = fields.clean_priority(changes["priority"])
        elif level_changed:
            new_priority = priority_for(locked.impact, locked.urgency)
        else:
            new_priority = locked.priority
        if _set(locked, "priority", new_priority, "priority", events, actor):
            changed.add("priority")
        if "type" in changes and _set(
            locked, "ticket_type", fields.clean_type(changes["type"]), "type", events, actor
        ):
            changed.add("ticket_type")
        if "tier" in changes and _set(
            locked, "tier", fields.clean_tier(changes["tier"]), "tier", events, actor
        ):
            changed.add("tier")
        if "category" in changes and _set(
            locked,
            "category",
            fields.resolve_category(desk, changes["category"]),
            "category",
            events,
            actor,
        ):
            changed.add("category")
        if "team" in changes and _set(
            locked, "team", fields.resolve_team(desk, changes["team"]), "team", events, actor
        ):
            changed.add("team")
        if "assignee" in changes:
            assignee = fields.resolve_agent(desk, changes["assignee"])
            if _set(locked, "assignee", assignee, "assignee", events, actor):
                changed.add("assignee")
                if assignee is not None and locked.status == Status.NEW:
                    changed.update(_apply_status(locked, Status.OPEN, events, actor))
        if {"tags", "add_tags", "remove_tags"} & set(changes):
            before = ticket_tag_names(locked)
            after = fields.clean_tags(changes["tags"]) if "tags" in changes else list(before)
            after += [t for t in fields.clean_tags(changes.get("add_tags")) if t not in after]
            removed = set(fields.clean_tags(changes.get("remove_tags")))
            after = sorted(t for t in after if t not in removed)
            if after != before:
                set_ticket_tags(locked, after)
                events.append(
                    event(locked, actor, "field_changed", field="tags", before=before, after=after)
                )
                changed.add("tags")
        if "custom_fields" in changes:
            if not isinstance(changes["custom_fields"], dict):
                raise ValidationError({"custom_fields": _("must be an object")})
            merged = fields.clean_custom_fields(
                desk, changes["custom_fields"], current=locked.custom_fields
            )
            if _set(locked, "custom_fields", merged, "custom_fields", events, actor):
                changed.add("custom_fields")

        if changed:
            locked.updated_at = timezone.now()
            model_fields = (changed - {"tags"}) | {"updated_at"}
            locked.save(update_fields=sorted(model_fields))
            save_events(events)
            hooks.emit(
                hooks.TicketChange(
                    hooks.TICKET_UPDATED,
                    locked.pk,
                    actor.pk if actor else None,
                    fields=tuple(sorted(changed)),
                    desk_id=locked.desk_id,
                )
            )
    ticket.refresh_from_db()
    return events
