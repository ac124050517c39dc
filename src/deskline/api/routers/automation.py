"""Triggers, scheduled rules, macros, webhooks and inbound hooks.

Definitions are managed by a desk's admins and supervisors; macros also by agents
(their personal ones). Inbound alerts authenticate with the hook's token in the path.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja import Status as Reply

from deskline.api.auth import RateLimited
from deskline.api.routers.desks import desk_for_user
from deskline.api.routers.tickets import _single_ticket
from deskline.api.schemas import Error
from deskline.automation import serializers as out
from deskline.automation.api_schemas import (
    DeliveryOut,
    DryRunIn,
    InboundHookIn,
    InboundHookOut,
    InboundResult,
    MacroApplied,
    MacroIn,
    MacroOut,
    MacroPatch,
    RuleDryRunIn,
    RuleIn,
    RuleOut,
    RulePatch,
    RunOut,
    TriggerIn,
    TriggerOut,
    TriggerPatch,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from deskline.automation.events import Event
from deskline.automation.models import (
    InboundHook,
    Macro,
    ScheduledRule,
    Trigger,
    TriggerRun,
    Webhook,
)
from deskline.automation.services import definitions, inbound, macros, rules, triggers
from deskline.core.clients import client_address
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.desks.models import Desk, Role
from deskline.tickets.access import ADMIN, agent_desk_ids, desk_roles, get_ticket_for_user

router = Router(tags=["automation"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def managed_desk_ids(user: Any) -> list[int]:
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return [d for d, role in desk_roles(user).items() if role in (ADMIN, Role.SUPERVISOR)]


def _managed(queryset: QuerySet, user: Any, desk: str | None) -> QuerySet:
    queryset = queryset.filter(desk_id__in=managed_desk_ids(user)).select_related("desk")
    if desk:
        queryset = queryset.filter(desk=desk_for_user(user, desk, manage=True))
    return queryset


def _get_managed(model: Any, user: Any, object_id: int) -> Any:
    found = model.objects.select_related("desk").filter(pk=object_id).first()
    if found is None or found.desk_id not in managed_desk_ids(user):
        raise NotFound(f"{model._meta.verbose_name} {object_id} not found")
    return found


def _ticket_on_desk(user: Any, value: str, desk_id: int) -> Any:
    ticket = get_ticket_for_user(user, value)
    if ticket.desk_id != desk_id:
        raise ValidationError({"ticket": f"{ticket.number} is not on this desk"})
    return ticket


# --- triggers ----------------------------------------------------------------------


@router.get("/triggers", response={200: list[TriggerOut], **ERRORS})
def list_triggers(request: HttpRequest, desk: str | None = None) -> list[dict]:
    return [out.trigger_out(t) for t in _managed(Trigger.objects.all(), request.auth, desk)]


@router.post("/triggers", response={201: TriggerOut, **ERRORS})
def create_trigger(request: HttpRequest, payload: TriggerIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    trigger = definitions.save_trigger(
        Trigger(desk=desk), payload.model_dump(exclude={"desk"}), request.auth
    )
    return Reply(201, out.trigger_out(trigger))


@router.get("/triggers/{trigger_id}", response={200: TriggerOut, **ERRORS})
def get_trigger(request: HttpRequest, trigger_id: Id) -> dict:
    return out.trigger_out(_get_managed(Trigger, request.auth, trigger_id))


@router.patch("/triggers/{trigger_id}", response={200: TriggerOut, **ERRORS})
def update_trigger(request: HttpRequest, trigger_id: Id, payload: TriggerPatch) -> dict:
    trigger = _get_managed(Trigger, request.auth, trigger_id)
    values = payload.model_dump(exclude_unset=True)
    return out.trigger_out(definitions.save_trigger(trigger, values, request.auth))


@router.delete("/triggers/{trigger_id}", response={204: None, **ERRORS})
def delete_trigger(request: HttpRequest, trigger_id: Id) -> Reply:
    definitions.delete_definition(_get_managed(Trigger, request.auth, trigger_id), request.auth)
    return Reply(204, None)


@router.post("/triggers/{trigger_id}/dry-run", response={200: dict, **ERRORS})
def dry_run_trigger(request: HttpRequest, trigger_id: Id, payload: DryRunIn) -> dict:
    trigger = _get_managed(Trigger, request.auth, trigger_id)
    if payload.event is not None and payload.event not in Event.values:
        raise ValidationError({"event": f"{payload.event!r} is not one of {Event.values}"})
    ticket = _ticket_on_desk(request.auth, payload.ticket, trigger.desk_id)
    return triggers.dry_run(trigger, ticket, payload.event)


@router.get("/triggers/{trigger_id}/runs", response={200: list[RunOut], **ERRORS})
def list_trigger_runs(request: HttpRequest, trigger_id: Id, limit: int = 50) -> list[dict]:
    trigger = _get_managed(Trigger, request.auth, trigger_id)
    runs = TriggerRun.objects.filter(trigger=trigger).select_related("ticket")
    return [out.run_out(r) for r in runs[: max(1, min(limit, 200))]]


# --- scheduled rules ---------------------------------------------------------------


@router.get("/scheduled-rules", response={200: list[RuleOut], **ERRORS})
def list_rules(request: HttpRequest, desk: str | None = None) -> list[dict]:
    return [out.rule_out(r) for r in _managed(ScheduledRule.objects.all(), request.auth, desk)]


@router.post("/scheduled-rules", response={201: RuleOut, **ERRORS})
def create_rule(request: HttpRequest, payload: RuleIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    rule = definitions.save_rule(
        ScheduledRule(desk=desk), payload.model_dump(exclude={"desk"}), request.auth
    )
    return Reply(201, out.rule_out(rule))


@router.get("/scheduled-rules/{rule_id}", response={200: RuleOut, **ERRORS})
def get_rule(request: HttpRequest, rule_id: Id) -> dict:
    return out.rule_out(_get_managed(ScheduledRule, request.auth, rule_id))


@router.patch("/scheduled-rules/{rule_id}", response={200: RuleOut, **ERRORS})
def update_rule(request: HttpRequest, rule_id: Id, payload: RulePatch) -> dict:
    rule = _get_managed(ScheduledRule, request.auth, rule_id)
    values = payload.model_dump(exclude_unset=True)
    return out.rule_out(definitions.save_rule(rule, values, request.auth))


@router.delete("/scheduled-rules/{rule_id}", response={204: None, **ERRORS})
def delete_rule(request: HttpRequest, rule_id: Id) -> Reply:
    definitions.delete_definition(_get_managed(ScheduledRule, request.auth, rule_id), request.auth)
    return Reply(204, None)


@router.post("/scheduled-rules/{rule_id}/dry-run", response={200: dict, **ERRORS})
def dry_run_rule(request: HttpRequest, rule_id: Id, payload: RuleDryRunIn) -> dict:
    rule = _get_managed(ScheduledRule, request.auth, rule_id)
    ticket = _ticket_on_desk(request.auth, payload.ticket, rule.desk_id)
    return json.loads(json.dumps(rules.dry_run(rule, ticket, payload.at), default=str))


# --- macros ------------------------------------------------------------------------


def _macro_for_manager(request: HttpRequest, macro_id: int) -> Macro:
    macro = Macro.objects.select_related("desk", "team", "owner").filter(pk=macro_id).first()
    if macro is None or macro.desk_id not in agent_desk_ids(request.auth, editing=True) + (
        managed_desk_ids(request.auth)
    ):
        raise NotFound(f"macro {macro_id} not found")
    if not macros.can_manage(request.auth, macro):
        raise Forbidden("only the owner (personal) or the desk's admins and supervisors")
    return macro


@router.get("/macros", response={200: list[MacroOut], **ERRORS})
def list_macros(request: HttpRequest, desk: str | None = None) -> list[dict]:
    desk_ids = sorted(set(agent_desk_ids(request.auth)) | set(managed_desk_ids(request.auth)))
    if desk:
        desk_ids = [desk_for_user(request.auth, desk).pk]
    found = macros.usable_macros(request.auth, desk_ids).select_related("desk", "team", "owner")
    return [out.macro_out(m) for m in found]


@router.post("/macros", response={201: MacroOut, **ERRORS})
def create_macro(request: HttpRequest, payload: MacroIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, field="desk")
    if payload.scope not in ("personal", "team", "desk"):
        raise ValidationError({"scope": "one of personal, team, desk"})
    team = definitions.resolve_team(desk, payload.team) if payload.scope == "team" else None
    macros.check_scope(request.auth, desk, team=team, personal=payload.scope == "personal")
    macro = Macro(desk=desk, team=team, owner=request.auth if payload.scope == "personal" else None)
    values = payload.model_dump(exclude={"desk", "scope", "team"})
    return Reply(201, out.macro_out(definitions.save_macro(macro, values, request.auth)))


@router.patch("/macros/{macro_id}", response={200: MacroOut, **ERRORS})
def update_macro(request: HttpRequest, macro_id: Id, payload: MacroPatch) -> dict:
    macro = _macro_for_manager(request, macro_id)
    values = payload.model_dump(exclude_unset=True)
    return out.macro_out(definitions.save_macro(macro, values, request.auth))


@router.delete("/macros/{macro_id}", response={204: None, **ERRORS})
def delete_macro(request: HttpRequest, macro_id: Id) -> Reply:
    definitions.delete_definition(_macro_for_manager(request, macro_id), request.auth)
    return Reply(204, None)


@router.post("/tickets/{ticket_id}/macros/{macro_id}/apply", response={200: MacroApplied, **ERRORS})
def apply_macro(request: HttpRequest, ticket_id: str, macro_id: Id) -> dict:
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    macro = Macro.objects.filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(f"macro {macro_id} not found")
    message, events = macros.apply_macro(macro, ticket, request.auth)
    return {
        "ticket": _single_ticket(ticket.pk, request.auth),
        "message_id": message.pk if message else None,
        "changed": sorted({e.field for e in events}),
    }


# --- outbound webhooks -------------------------------------------------------------


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS})
def list_webhooks(request: HttpRequest, desk: str | None = None) -> list[dict]:
    return [out.webhook_out(w) for w in _managed(Webhook.objects.all(), request.auth, desk)]


@router.post("/webhooks", response={201: WebhookOut, **ERRORS})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Reply:
    """Admins only: a webhook sends the desk's tickets out of the install."""
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    hook = definitions.save_webhook(
        Webhook(desk=desk), payload.model_dump(exclude={"desk"}), request.auth
    )
    return Reply(201, out.webhook_out(hook, with_secret=True))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS})
def update_webhook(request: HttpRequest, webhook_id: Id, payload: WebhookPatch) -> dict:
    """Admins only."""
    hook = _get_managed(Webhook, request.auth, webhook_id)
    values = payload.model_dump(exclude_unset=True)
    return out.webhook_out(definitions.save_webhook(hook, values, request.auth))


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS})
def delete_webhook(request: HttpRequest, webhook_id: Id) -> Reply:
    """Admins only."""
    definitions.delete_definition(_get_managed(Webhook, request.auth, webhook_id), request.auth)
    return Reply(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response={200: list[DeliveryOut], **ERRORS})
def list_deliveries(request: HttpRequest, webhook_id: Id, limit: int = 50) -> list[dict]:
    hook = _get_managed(Webhook, request.auth, webhook_id)
    deliveries = hook.deliveries.select_related("ticket").prefetch_related("attempt_log")
    return [out.delivery_out(d) for d in deliveries[: max(1, min(limit, 200))]]


# --- inbound hooks -----------------------------------------------------------------


@router.get("/inbound-hooks", response={200: list[InboundHookOut], **ERRORS})
def list_inbound_hooks(request: HttpRequest, desk: str | None = None) -> list[dict]:
    return [out.inbound_out(h) for h in _managed(InboundHook.objects.all(), request.auth, desk)]


@router.post("/inbound-hooks", response={201: InboundHookOut, **ERRORS})
def create_inbound_hook(request: HttpRequest, payload: InboundHookIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    hook, token = definitions.create_inbound_hook(desk, payload.model_dump(), request.auth)
    return Reply(201, out.inbound_out(hook, token=token))


@router.delete("/inbound-hooks/{hook_id}", response={204: None, **ERRORS})
def delete_inbound_hook(request: HttpRequest, hook_id: Id) -> Reply:
    definitions.delete_definition(_get_managed(InboundHook, request.auth, hook_id), request.auth)
    return Reply(204, None)


@router.post(
    "/hooks/inbound/{token}", auth=None, response={200: InboundResult, 201: InboundResult, **ERRORS}
)
def receive_alert(request: HttpRequest, token: str) -> Reply:
    if wait := inbound.seconds_before_next_alert(client_address=client_address(request)):
        raise RateLimited(retry_after=wait)
    hook = inbound.hook_for_token(token)
    if hook is None:
        raise NotFound("no such inbound hook")
    if wait := inbound.seconds_before_next_alert(hook=hook):
        raise RateLimited(retry_after=wait)
    try:
        alert = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": "the alert must be JSON"}) from None
    ticket, created = inbound.receive_alert(hook, alert)
    return Reply(201 if created else 200, {"ticket": ticket.number, "created": created})
