"""What the condition/action builder of the setup pages offers: the grammar of
conditions.py and actions.py, in the reader's language, with each desk's own choices.

The page reads this as JSON (json_script) and writes the same JSON the services check,
so the builder never decides what is valid; it only offers what is.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from deskline.accounts.models import Organization, User
from deskline.automation import actions as action_specs
from deskline.automation import conditions as condition_specs
from deskline.automation.models import Webhook
from deskline.automation.placeholders import KNOWN
from deskline.desks.models import Category, CustomField, Desk, DeskMembership, Role, Team
from deskline.tickets.choices import Status
from deskline.tickets.models import StatusDefinition
from deskline.web.labels import LABELS

# Past this many, an organization is typed rather than picked from a list.
MAX_ORGANIZATIONS = 500
Choices = list[list[Any]]


def _field_labels() -> dict[str, str]:
    names = {name: str(label) for name, label in LABELS["field"].items()}
    return {
        **names,
        "channel": pgettext("automation builder", "Channel"),
        "requester.language": pgettext("automation builder", "Requester's language"),
        "requester.email": pgettext("automation builder", "Requester's email"),
        "organization": _("Organization"),
        "message.body": pgettext("automation builder", "Message text"),
        "text": pgettext("automation builder", "Subject or message text"),
        "message.internal": pgettext("automation builder", "Message is an internal note"),
        "business_hours": pgettext("automation builder", "Within business hours"),
    }


def _operator_labels() -> dict[str, str]:
    return {
        "is": pgettext("automation builder", "is"),
        "is_not": pgettext("automation builder", "is not"),
        "in": pgettext("automation builder", "is one of"),
        "not_in": pgettext("automation builder", "is none of"),
        "gt": pgettext("automation builder", "is above"),
        "gte": pgettext("automation builder", "is at least"),
        "lt": pgettext("automation builder", "is below"),
        "lte": pgettext("automation builder", "is at most"),
        "is_set": pgettext("automation builder", "is set"),
        "is_not_set": pgettext("automation builder", "is not set"),
        "contains": pgettext("automation builder", "contains"),
        "not_contains": pgettext("automation builder", "does not contain"),
        "changed": pgettext("automation builder", "changed"),
    }


def _action_labels() -> dict[str, str]:
    return {
        "set": pgettext("automation builder", "Set a field"),
        "assign": pgettext("automation builder", "Assign"),
        "add_tags": _("Add tags"),
        "remove_tags": pgettext("automation builder", "Remove tags"),
        "add_note": pgettext("automation builder", "Add an internal note"),
        "send_mail": pgettext("automation builder", "Send mail"),
        "notify": pgettext("automation builder", "Notify"),
        "webhook": pgettext("automation builder", "Call a webhook"),
        "escalate": pgettext("automation builder", "Escalate"),
    }


def _recipient_labels() -> dict[str, str]:
    return {
        "requester": pgettext("automation builder", "the requester"),
        "assignee": pgettext("automation builder", "the assignee"),
        "team": pgettext("automation builder", "the team"),
        "supervisors": pgettext("automation builder", "the desk's supervisors"),
        "address": pgettext("automation builder", "a mail address"),
        "user": pgettext("automation builder", "an agent"),
    }


def _ui_labels() -> dict[str, str]:
    return {
        "conditions": pgettext("automation builder", "Conditions"),
        "actions": pgettext("automation builder", "Actions"),
        "all": pgettext("automation builder", "All of these conditions"),
        "any": pgettext("automation builder", "At least one of these conditions"),
        "add_condition": pgettext("automation builder", "Add condition"),
        "add_action": pgettext("automation builder", "Add action"),
        "remove": pgettext("automation builder", "Remove"),
        "condition": pgettext("automation builder", "Condition"),
        "action": pgettext("automation builder", "Action"),
        "field": pgettext("automation builder", "Field"),
        "operator": pgettext("automation builder", "Operator"),
        "value": _("Value"),
        "type": pgettext("automation builder", "Action"),
        "to": pgettext("automation builder", "To"),
        "address": pgettext("automation builder", "Mail address"),
        "subject": _("Subject"),
        "body": _("Message"),
        "text": pgettext("automation builder", "Text"),
        "tags": pgettext("automation builder", "Tags, separated by commas"),
        "team": _("Team"),
        "agent": _("Agent"),
        "webhook": _("Webhook"),
        "tier": _("Tier"),
        "calendar": pgettext("automation builder", "Calendar"),
        "next_tier": pgettext("automation builder", "The next tier"),
        "unchanged": pgettext("automation builder", "(unchanged)"),
        "none": pgettext("automation builder", "(none)"),
        "no_calendar": pgettext("automation builder", "(hours given in JSON)"),
        "unknown": pgettext("automation builder", "(not on this desk)"),
        "yes": pgettext("automation builder", "Yes"),
        "no": pgettext("automation builder", "No"),
        "edit_json": pgettext("automation builder", "Edit as JSON"),
        "edit_builder": pgettext("automation builder", "Use the builder"),
        "bad_json": pgettext(
            "automation builder", "This JSON cannot be shown in the builder; edit it as JSON."
        ),
        "no_rows": pgettext("automation builder", "None yet."),
        "placeholders": pgettext("automation builder", "Placeholders:"),
        "custom": pgettext("automation builder", "Custom field"),
    }


def _labelled(values: Iterable[Any], labels: dict) -> Choices:
    return [[value, str(labels.get(value, value))] for value in values]


def _global_choices() -> dict[str, Choices]:
    found: dict[str, Choices] = {
        "priority": _labelled(condition_specs.RANKS["priority"], LABELS["priority"]),
        "impact": _labelled(condition_specs.RANKS["impact"], LABELS["level"]),
        "urgency": _labelled(condition_specs.RANKS["urgency"], LABELS["level"]),
        "type": _labelled(LABELS["type"], LABELS["type"]),
        "tier": _labelled(condition_specs.RANKS["tier"], LABELS["tier"]),
        "channel": _labelled(LABELS["channel"], LABELS["channel"]),
        "requester.language": [[code, str(name)] for code, name in settings.LANGUAGES],
        "calendar": [],
    }
    organizations = list(
        Organization.objects.order_by("name").values_list("name", flat=True)[
            : MAX_ORGANIZATIONS + 1
        ]
    )
    if len(organizations) <= MAX_ORGANIZATIONS:
        found["organization"] = [[name, name] for name in organizations]
    if apps.is_installed("deskline.sla"):
        from deskline.sla.models import Calendar

        names = Calendar.objects.order_by("name").values_list("name", flat=True)
        found["calendar"] = [[name, name] for name in names]
    return found


def _category_labels(desk_ids: list[int]) -> dict[int, Choices]:
    rows = list(Category.objects.filter(desk_id__in=desk_ids).order_by("desk_id", "path"))
    by_id = {c.pk: c for c in rows}
    found: dict[int, Choices] = defaultdict(list)
    for category in rows:
        names, parent_id = [category.name], category.parent_id
        while parent_id in by_id:
            names.insert(0, by_id[parent_id].name)
            parent_id = by_id[parent_id].parent_id
        found[category.desk_id].append([category.path, " / ".join(names)])
    return found


def _agents(desk_ids: list[int]) -> dict[int, Choices]:
    """Who resolve_agent accepts on each desk: its agents and supervisors, and admins."""
    found: dict[int, Choices] = defaultdict(list)
    admins = [[u.email, f"{u.name or u.email} <{u.email}>"] for u in _active_admins()]
    members = (
        DeskMembership.objects.filter(
            desk_id__in=desk_ids,
            role__in=(Role.SUPERVISOR, Role.AGENT),
            user__is_active=True,
            user__is_superuser=False,
        )
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    for membership in members:
        user = membership.user
        found[membership.desk_id].append([user.email, f"{user.name or user.email} <{user.email}>"])
    return {desk_id: found[desk_id] + admins for desk_id in desk_ids}


def _active_admins() -> list[User]:
    return list(User.objects.filter(is_superuser=True, is_active=True).order_by("name", "email"))


def _statuses(desk_ids: list[int]) -> dict[int, Choices]:
    base = _labelled(Status.values, LABELS["status"])
    custom = StatusDefinition.objects.filter(Q(desk_id__in=desk_ids) | Q(desk__isnull=True))
    found: dict[int, Choices] = {desk_id: list(base) for desk_id in desk_ids}
    for definition in custom.order_by("name"):
        targets = desk_ids if definition.desk_id is None else [definition.desk_id]
        for desk_id in targets:
            found[desk_id].append([definition.slug, definition.name])
    return found


def _desk_choices(desks: list[Desk]) -> dict[str, dict[str, Any]]:
    ids = [d.pk for d in desks]
    teams: dict[int, Choices] = defaultdict(list)
    for team in Team.objects.filter(desk_id__in=ids).order_by("name"):
        teams[team.desk_id].append([team.slug, team.name])
    webhooks: dict[int, Choices] = defaultdict(list)
    for hook in Webhook.objects.filter(desk_id__in=ids).order_by("name", "pk"):
        webhooks[hook.desk_id].append([hook.pk, hook.name])
    custom: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for field in CustomField.objects.filter(desk_id__in=ids):
        custom[field.desk_id].append(
            {
                "key": field.key,
                "label": field.label,
                "type": field.field_type,
                "choices": [[c, str(c)] for c in field.choices or []],
            }
        )
    categories, agents, statuses = _category_labels(ids), _agents(ids), _statuses(ids)
    return {
        desk.slug: {
            "choices": {
                "status": statuses[desk.pk],
                "team": teams[desk.pk],
                "category": categories[desk.pk],
                "assignee": agents[desk.pk],
                "webhook": webhooks[desk.pk],
            },
            "custom_fields": custom[desk.pk],
        }
        for desk in desks
    }


def builder_metadata(desks: Iterable[Desk], kind: str) -> dict[str, Any]:
    """Everything the builder script needs for one setup page (`kind`: triggers, rules
    or macros), for the desks the viewer manages."""
    field_labels = _field_labels()
    action_labels = _action_labels()
    recipients = _recipient_labels()
    allowed = action_specs.MACRO_TYPES if kind == "macros" else action_specs.ALL_TYPES
    return {
        "conditions": kind != "macros",
        "fields": [
            {"name": name, "label": field_labels[name], "kind": spec[0], "ops": list(spec[1])}
            for name, spec in condition_specs.FIELDS.items()
        ],
        "custom_ops": list(condition_specs.CUSTOM_OPS),
        "ops": _operator_labels(),
        "actions": [[name, action_labels[name]] for name in allowed],
        "settable": [[name, field_labels[name]] for name in action_specs.SETTABLE],
        "mail_to": [[to, recipients[to]] for to in action_specs.MAIL_TO],
        "notify_to": [[to, recipients[to]] for to in action_specs.NOTIFY_TO],
        "placeholders": [f"{{{{{name}}}}}" for name in KNOWN],
        "choices": _global_choices(),
        "desks": _desk_choices(list(desks)),
        "labels": _ui_labels(),
    }
