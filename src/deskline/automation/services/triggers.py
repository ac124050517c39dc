"""Running a desk's triggers on a ticket event, and the dry run that shows what they'd do."""

import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.automation import actions as action_specs
from deskline.automation import conditions
from deskline.automation.chain import MAX_DEPTH, Chain
from deskline.automation.events import Event
from deskline.automation.models import Trigger, TriggerRun
from deskline.automation.models.triggers import RunOutcome
from deskline.automation.services.actions import apply_actions
from deskline.core.errors import Conflict, english, lazy_message
from deskline.desks.models import Desk
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services.events import event as ticket_event
from deskline.tickets.services.events import save_events

log = logging.getLogger(__name__)
# Last resort against loops the chain cannot see: a ticket whose triggers fired this
# often within a minute gets no more trigger runs for now.
MAX_RUNS_PER_TICKET_MINUTE = 50
TICKET_RELATIONS = ("desk", "requester", "assignee", "team", "category", "organization")


def clean_trigger(desk: Desk, *, events: Any, conditions_json: Any, actions_json: Any) -> dict:
    """Checked, normalized definition parts; ValidationError names the bad field."""
    if not isinstance(events, list) or not events:
        raise ValidationError(
            {"events": lazy_message(_("at least one of %(choices)s"), choices=Event.values)}
        )
    for i, kind in enumerate(events):
        if kind not in Event.values:
            raise ValidationError(
                {
                    f"events.{i}": lazy_message(
                        _("%(value)r is not one of %(choices)s"), value=kind, choices=Event.values
                    )
                }
            )
    return {
        "events": sorted(set(events), key=Event.values.index),
        "conditions": conditions.clean_conditions(conditions_json, desk),
        "actions": _non_empty(action_specs.clean_actions(actions_json, desk)),
    }


def _non_empty(actions: list[dict]) -> list[dict]:
    if not actions:
        raise ValidationError({"actions": _("at least one action")})
    return actions


def load_ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related(*TICKET_RELATIONS, "custom_status")
        .filter(pk=ticket_id)
        .first()
    )


def _too_busy(ticket_id: int) -> bool:
    since = timezone.now() - timedelta(minutes=1)
    recent = TriggerRun.objects.filter(ticket_id=ticket_id, created_at__gte=since)
    return recent.count() >= MAX_RUNS_PER_TICKET_MINUTE


def run_triggers(
    event: str,
    ticket_id: int,
    *,
    chain: Chain | None = None,
    message_id: int | None = None,
    changed: tuple[str, ...] = (),
) -> list[TriggerRun]:
    """Fire the desk's active triggers for this event, in order; return the runs."""
    chain = chain or Chain()
    if chain.depth > MAX_DEPTH:
        log.warning(
            "trigger chain %s stopped at depth %s on ticket %s", chain.id, chain.depth, ticket_id
        )
        return []
    ticket = load_ticket(ticket_id)
    if ticket is None:
        return []
    candidates = [
        t
        for t in Trigger.objects.filter(desk_id=ticket.desk_id, is_active=True)
        if event in t.events and t.pk not in chain.fired
    ]
    if not candidates or _too_busy(ticket_id):
        return []
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    runs: list[TriggerRun] = []
    for trigger in candidates:
        if trigger.pk in chain.fired:  # fired further down the chain meanwhile
            continue
        ticket = load_ticket(ticket_id)  # earlier triggers may have changed it
        if ticket is None:
            break
        ctx = conditions.Context(ticket, event, message, changed)
        if not conditions.matches(trigger.conditions, ctx):
            continue
        chain.fired.add(trigger.pk)
        run = _fire(trigger, ticket, event, chain)
        if run is not None:
            runs.append(run)
    return runs


def _fire(trigger: Trigger, ticket: Ticket, event: str, chain: Chain) -> TriggerRun | None:
    try:
        with transaction.atomic():
            run = TriggerRun.objects.create(
                trigger=trigger,
                ticket=ticket,
                event=event,
                chain=chain.id,
                depth=chain.depth,
                outcome=RunOutcome.APPLIED,
            )
    except IntegrityError:  # another process fired it for this chain already
        return None
    try:
        with transaction.atomic():
            run.actions = apply_actions(ticket, trigger.actions, chain)
            run.save(update_fields=["actions"])
            _record_on_ticket(ticket, trigger, run)
    except (ValidationError, Conflict) as exc:
        # The desk changed since the trigger was saved (team deleted, ticket closed...).
        _failed(run, ticket, trigger, english(exc))
    except Exception as exc:
        log.exception("trigger %s failed on ticket %s", trigger.pk, ticket.pk)
        _failed(run, ticket, trigger, f"{type(exc).__name__}: {exc}")
    return run


def _failed(run: TriggerRun, ticket: Ticket, trigger: Trigger, error: str) -> None:
    run.outcome = RunOutcome.FAILED
    run.error = error[:2000]
    run.save(update_fields=["outcome", "error"])
    _record_on_ticket(ticket, trigger, run)


def _record_on_ticket(ticket: Ticket, trigger: Trigger, run: TriggerRun) -> None:
    save_events(
        [
            ticket_event(
                ticket,
                None,
                "trigger_fired",
                field="trigger",
                after={
                    "trigger": trigger.pk,
                    "name": trigger.name,
                    "event": run.event,
                    "outcome": run.outcome,
                    "run": run.pk,
                    "error": run.error,
                },
            )
        ]
    )


def dry_run(trigger: Trigger, ticket: Ticket, event: str | None = None) -> dict[str, Any]:
    """What the trigger would do on this ticket now, changing nothing."""
    event = event or (trigger.events[0] if trigger.events else "")
    ticket = load_ticket(ticket.pk) or ticket
    message = ticket.messages.order_by("-created_at", "-id").first()
    ctx = conditions.Context(ticket, event, message)
    matched, report = conditions.explain(trigger.conditions, ctx)
    listens = event in trigger.events
    return {
        "trigger": trigger.pk,
        "ticket": ticket.number,
        "event": event,
        "listens_to_event": listens,
        "matched": matched,
        "would_fire": matched and listens and trigger.is_active,
        "conditions": report,
        "actions": action_specs.describe(trigger.actions, ticket) if matched else [],
    }
