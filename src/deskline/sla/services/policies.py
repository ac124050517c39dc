"""Which SLA policy applies to a ticket: the desk's first active policy whose conditions
all match (an empty condition matches anything)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from deskline.core.errors import lazy_message
from deskline.sla.models import BreachAction, Calendar, CustomerTier, SlaPolicy
from deskline.sla.tasks import resync_desk_timers
from deskline.tickets.choices import Priority, TicketType
from deskline.tickets.models import Ticket


def _category_matches(paths: list[str], ticket: Ticket) -> bool:
    if not paths:
        return True
    if ticket.category_id is None:
        return False
    path = ticket.category.path
    return any(path == p or path.startswith(f"{p}/") for p in paths)


def policy_matches(policy: SlaPolicy, ticket: Ticket, customer_tier: str | None) -> bool:
    return (
        (not policy.priorities or ticket.priority in policy.priorities)
        and (not policy.types or ticket.ticket_type in policy.types)
        and (not policy.organizations or ticket.organization_id in policy.organizations)
        and (not policy.customer_tiers or customer_tier in policy.customer_tiers)
        and _category_matches(policy.categories, ticket)
    )


def select_policy(ticket: Ticket) -> SlaPolicy | None:
    policies = list(
        SlaPolicy.objects.filter(desk_id=ticket.desk_id, is_active=True).select_related("calendar")
    )
    if not policies:
        return None
    tier = None
    if ticket.organization_id and any(p.customer_tiers for p in policies):
        tier = (
            CustomerTier.objects.filter(organization_id=ticket.organization_id)
            .values_list("tier", flat=True)
            .first()
        )
    for policy in policies:
        if policy_matches(policy, ticket, tier):
            return policy
    return None


def _choices(field: str, values: list, allowed: list) -> list:
    if not isinstance(values, list):
        raise ValidationError({field: _("must be a list")})
    for value in values:
        if value not in allowed:
            raise ValidationError(
                {
                    field: lazy_message(
                        _("%(value)r is not one of %(choices)s"), value=value, choices=allowed
                    )
                }
            )
    return values


def clean_policy(policy: SlaPolicy) -> SlaPolicy:
    """Check the conditions, targets and actions an admin gave; raise per field."""
    _choices("priorities", policy.priorities, Priority.values)
    _choices("types", policy.types, TicketType.values)
    _choices("breach_actions", policy.breach_actions, BreachAction.values)
    for field in ("categories", "customer_tiers"):
        if not isinstance(getattr(policy, field), list) or not all(
            isinstance(v, str) for v in getattr(policy, field)
        ):
            raise ValidationError({field: _("must be a list of strings")})
    if not isinstance(policy.organizations, list) or not all(
        isinstance(v, int) for v in policy.organizations
    ):
        raise ValidationError({"organizations": _("must be a list of organization ids")})
    if not 1 <= policy.warning_percent <= 99:
        raise ValidationError({"warning_percent": _("must be between 1 and 99")})
    if not any(
        (policy.first_response_minutes, policy.next_response_minutes, policy.resolution_minutes)
    ):
        raise ValidationError({"first_response_minutes": _("a policy needs at least one target")})
    policy.full_clean()
    return policy


# What an admin may set on a policy; the desk is fixed once the policy exists.
EDITABLE = (
    "name",
    "position",
    "is_active",
    "calendar",
    "priorities",
    "types",
    "categories",
    "organizations",
    "customer_tiers",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "breach_actions",
)


def save_policy(policy: SlaPolicy, values: dict) -> SlaPolicy:
    """Apply the given values (calendar as an id or None), check everything, store."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            {unknown[0]: lazy_message(_("%(field)r cannot be set on a policy"), field=unknown[0])}
        )
    for name, value in values.items():
        if name == "calendar":
            calendar = None
            if value is not None:
                calendar = Calendar.objects.filter(pk=value).first()
                if calendar is None:
                    raise ValidationError(
                        {"calendar": lazy_message(_("no calendar %(value)s"), value=value)}
                    )
            policy.calendar = calendar
        else:
            setattr(policy, name, value)
    clean_policy(policy)
    policy.save()
    desk_id = policy.desk_id
    transaction.on_commit(lambda: resync_desk_timers.enqueue(desk_id))
    return policy
