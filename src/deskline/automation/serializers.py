"""Automation rows as the API (and pages) show them."""

from typing import Any

from deskline.automation.models import (
    InboundHook,
    Macro,
    ScheduledRule,
    Trigger,
    TriggerRun,
    Webhook,
    WebhookDelivery,
)


def trigger_out(trigger: Trigger) -> dict[str, Any]:
    return {
        "id": trigger.pk,
        "desk": trigger.desk.slug,
        "name": trigger.name,
        "description": trigger.description,
        "events": trigger.events,
        "conditions": trigger.conditions,
        "actions": trigger.actions,
        "position": trigger.position,
        "is_active": trigger.is_active,
        "created_at": trigger.created_at,
        "updated_at": trigger.updated_at,
    }


def run_out(run: TriggerRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "ticket": run.ticket.number,
        "event": run.event,
        "outcome": run.outcome,
        "actions": run.actions,
        "error": run.error,
        "depth": run.depth,
        "created_at": run.created_at,
    }


def rule_out(rule: ScheduledRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "desk": rule.desk.slug,
        "name": rule.name,
        "description": rule.description,
        "status": rule.status,
        "hours": rule.hours,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "position": rule.position,
        "is_active": rule.is_active,
        "last_run_at": rule.last_run_at,
    }


def macro_out(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "desk": macro.desk.slug,
        "name": macro.name,
        "scope": macro.scope,
        "team": macro.team.slug if macro.team_id else None,
        "owner": macro.owner.email if macro.owner_id else None,
        "actions": macro.actions,
        "replies": macro.replies,
        "reply_internal": macro.reply_internal,
        "position": macro.position,
        "is_active": macro.is_active,
    }


def webhook_out(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    return {
        "id": hook.pk,
        "desk": hook.desk.slug,
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "is_active": hook.is_active,
        "created_at": hook.created_at,
        "secret": hook.secret if with_secret else None,
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "ticket": delivery.ticket.number if delivery.ticket_id else None,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
        "attempt_log": [
            {
                "number": a.number,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
                "created_at": a.created_at,
            }
            for a in delivery.attempt_log.all()
        ],
    }


def inbound_out(hook: InboundHook, *, token: str | None = None) -> dict[str, Any]:
    return {
        "id": hook.pk,
        "desk": hook.desk.slug,
        "name": hook.name,
        "sender_email": hook.sender_email,
        "subject_path": hook.subject_path,
        "body_path": hook.body_path,
        "key_path": hook.key_path,
        "is_active": hook.is_active,
        "token_prefix": hook.token_prefix,
        "last_used_at": hook.last_used_at,
        "url": f"/api/v1/hooks/inbound/{token}" if token else None,
    }
