"""Scheduled rules: act on tickets that have been in a status for a while, once per stay.

A ticket's stay in its status starts at the latest status event (or its creation when
the status never changed); solved and closed tickets use solved_at / closed_at. A rule
acts once per (ticket, start of stay): a reminder that changes nothing is not sent
again, and a ticket that leaves the status and comes back is counted afresh.

Candidates come from the (desk, status, updated_at) index and the per-ticket event
index; only tickets past the cutoff and without a run for this stay are read.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.automation import actions as action_specs
from deskline.automation import conditions
from deskline.automation.chain import Chain
from deskline.automation.models import ScheduledRule, ScheduledRuleRun
from deskline.automation.models.triggers import RunOutcome
from deskline.automation.services.actions import apply_actions
from deskline.automation.services.triggers import TICKET_RELATIONS
from deskline.core.errors import Conflict, english, lazy_message
from deskline.desks.models import Desk
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket, TicketEvent
from deskline.tickets.services.events import event as ticket_event
from deskline.tickets.services.events import save_events

log = logging.getLogger(__name__)
BATCH = 200
MAX_HOURS = 24 * 366


def clean_rule(
    desk: Desk, *, status: Any, hours: Any, conditions_json: Any, actions_json: Any
) -> dict:
    if status not in Status.values:
        raise ValidationError(
            {
                "status": lazy_message(
                    _("%(value)r is not one of %(choices)s"), value=status, choices=Status.values
                )
            }
        )
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise ValidationError(
            {"hours": lazy_message(_("a whole number of hours from 1 to %(max)s"), max=MAX_HOURS)}
        )
    cleaned_actions = action_specs.clean_actions(actions_json, desk)
    if not cleaned_actions:
        raise ValidationError({"actions": _("at least one action")})
    return {
        "status": status,
        "hours": hours,
        "conditions": conditions.clean_conditions(conditions_json, desk),
        "actions": cleaned_actions,
    }


def _since_expression(status: str) -> Any:
    if status == Status.SOLVED:
        return Coalesce(F("solved_at"), F("updated_at"))
    if status == Status.CLOSED:
        return Coalesce(F("closed_at"), F("updated_at"))
    latest = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), field="status")
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(latest, output_field=DateTimeField()), F("created_at"))


def due_tickets(rule: ScheduledRule, now: datetime) -> QuerySet[Ticket]:
    """Tickets the rule should act on now (before its extra conditions)."""
    cutoff = now - timedelta(hours=rule.hours)
    done = ScheduledRuleRun.objects.filter(
        rule=rule, ticket=OuterRef("pk"), since=OuterRef("since")
    )
    return (
        Ticket.objects.filter(desk_id=rule.desk_id, status=rule.status, created_at__lte=cutoff)
        .annotate(since=_since_expression(rule.status))
        .filter(since__lte=cutoff)
        .exclude(Exists(done))
        .select_related(*TICKET_RELATIONS, "custom_status")
        .order_by("since", "id")
    )


def run_rule(rule: ScheduledRule, now: datetime, limit: int = BATCH) -> int:
    acted = 0
    for ticket in due_tickets(rule, now)[:limit]:
        ctx = conditions.Context(ticket, "scheduled", now=now)
        if not conditions.matches(rule.conditions, ctx):
            continue
        if _act(rule, ticket, ticket.since, now):
            acted += 1
    ScheduledRule.objects.filter(pk=rule.pk).update(last_run_at=now)
    return acted


def _act(rule: ScheduledRule, ticket: Ticket, since: datetime, now: datetime) -> bool:
    try:
        with transaction.atomic():
            run = ScheduledRuleRun.objects.create(
                rule=rule, ticket=ticket, since=since, outcome=RunOutcome.APPLIED, created_at=now
            )
    except IntegrityError:  # another worker acted on this stay already
        return False
    try:
        with transaction.atomic():
            run.actions = apply_actions(ticket, rule.actions, Chain())
            run.save(update_fields=["actions"])
            _record(ticket, rule, run)
    except (ValidationError, Conflict) as exc:
        _failed(run, ticket, rule, english(exc))
    except Exception as exc:
        log.exception("scheduled rule %s failed on ticket %s", rule.pk, ticket.pk)
        _failed(run, ticket, rule, f"{type(exc).__name__}: {exc}")
    return True


def _failed(run: ScheduledRuleRun, ticket: Ticket, rule: ScheduledRule, error: str) -> None:
    run.outcome = RunOutcome.FAILED
    run.error = error[:2000]
    run.save(update_fields=["outcome", "error"])
    _record(ticket, rule, run)


def _record(ticket: Ticket, rule: ScheduledRule, run: ScheduledRuleRun) -> None:
    save_events(
        [
            ticket_event(
                ticket,
                None,
                "rule_applied",
                field="scheduled_rule",
                after={
                    "rule": rule.pk,
                    "name": rule.name,
                    "outcome": run.outcome,
                    "run": run.pk,
                    "error": run.error,
                },
            )
        ]
    )


def run_rules(now: datetime | None = None) -> dict[int, int]:
    """Run every active rule once; rule id → tickets acted on."""
    now = now or timezone.now()
    return {
        rule.pk: run_rule(rule, now)
        for rule in ScheduledRule.objects.filter(is_active=True).order_by("desk_id", "position")
    }


def dry_run(rule: ScheduledRule, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """Whether the rule would act on this ticket at `now`, and what it would do."""
    now = now or timezone.now()
    row = (
        Ticket.objects.filter(pk=ticket.pk)
        .annotate(since=_since_expression(rule.status))
        .select_related(*TICKET_RELATIONS, "custom_status")
        .first()
    )
    assert row is not None
    in_status = row.status == rule.status and row.desk_id == rule.desk_id
    due_at = row.since + timedelta(hours=rule.hours)
    already = ScheduledRuleRun.objects.filter(rule=rule, ticket=row, since=row.since).exists()
    matched, report = conditions.explain(
        rule.conditions, conditions.Context(row, "scheduled", now=now)
    )
    would = in_status and due_at <= now and not already and matched
    return {
        "rule": rule.pk,
        "ticket": row.number,
        "in_status": in_status,
        "in_status_since": row.since,
        "due_at": due_at,
        "already_applied": already,
        "matched": matched,
        "would_act": would,
        "conditions": report,
        "actions": action_specs.describe(rule.actions, row) if matched else [],
    }
