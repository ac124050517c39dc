"""Saving automation definitions: every part checked, then stored (pages and API call these).

`values` are the fields given, as in the API (desk already resolved by the caller).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.accounts.services import record_audit
from deskline.automation.events import Event
from deskline.automation.models import InboundHook, Macro, ScheduledRule, Trigger, Webhook
from deskline.automation.services import inbound as inbound_service
from deskline.automation.services.macros import clean_macro
from deskline.automation.services.rules import clean_rule
from deskline.automation.services.triggers import clean_trigger
from deskline.automation.services.webhooks import new_secret
from deskline.automation.urlcheck import check_url
from deskline.core.errors import Forbidden, lazy_message
from deskline.desks.models import Desk, Team

PLAIN = ("name", "description", "position", "is_active", "reply_internal")


def _plain(obj: Any, values: dict[str, Any]) -> None:
    for key in PLAIN:
        if key in values and values[key] is not None:
            setattr(obj, key, values[key])


def save_trigger(trigger: Trigger, values: dict[str, Any], actor: User | None) -> Trigger:
    cleaned = clean_trigger(
        trigger.desk,
        events=values.get("events", trigger.events),
        conditions_json=values.get("conditions", trigger.conditions),
        actions_json=values.get("actions", trigger.actions),
    )
    _plain(trigger, values)
    for key, value in cleaned.items():
        setattr(trigger, key, value)
    trigger.updated_at = timezone.now()
    if trigger.pk is None:
        trigger.created_by = actor
    with transaction.atomic():
        trigger.save()
        record_audit(actor, "automation.trigger_saved", trigger, data={"name": trigger.name})
    return trigger


def save_rule(rule: ScheduledRule, values: dict[str, Any], actor: User | None) -> ScheduledRule:
    cleaned = clean_rule(
        rule.desk,
        status=values.get("status", rule.status),
        hours=values.get("hours", rule.hours),
        conditions_json=values.get("conditions", rule.conditions),
        actions_json=values.get("actions", rule.actions),
    )
    _plain(rule, values)
    for key, value in cleaned.items():
        setattr(rule, key, value)
    rule.updated_at = timezone.now()
    if rule.pk is None:
        rule.created_by = actor
    with transaction.atomic():
        rule.save()
        record_audit(actor, "automation.rule_saved", rule, data={"name": rule.name})
    return rule


def save_macro(macro: Macro, values: dict[str, Any], actor: User | None) -> Macro:
    cleaned = clean_macro(
        macro.desk,
        actions_json=values.get("actions", macro.actions),
        replies=values.get("replies", macro.replies),
    )
    _plain(macro, values)
    for key, value in cleaned.items():
        setattr(macro, key, value)
    macro.updated_at = timezone.now()
    if macro.pk is None:
        macro.created_by = actor
    macro.save()
    return macro


def may_change_webhooks(actor: User | None) -> bool:
    """Outbound webhooks send a desk's tickets (requesters, messages) out of the install
    to an address of the sender's choosing: admins decide them, as Zendesk and Jira
    Service Management leave webhooks to administrators (actor=None: the system). A
    desk's supervisors see its webhooks and their deliveries and use them in triggers."""
    return actor is None or (actor.is_active and actor.is_superuser)


def check_may_change_webhooks(actor: User | None) -> None:
    if not may_change_webhooks(actor):
        raise Forbidden(_("only admins may create, change or delete outbound webhooks"))


def delete_definition(
    obj: Trigger | ScheduledRule | Macro | Webhook | InboundHook, actor: User | None
) -> None:
    """Delete a trigger, rule, macro or hook; the audit log keeps who took it away, as it
    keeps who saved it (a webhook's address: where the desk's tickets were sent)."""
    data: dict[str, Any] = {"name": obj.name, "desk": obj.desk_id}
    if isinstance(obj, Webhook):
        check_may_change_webhooks(actor)
        data["url"] = obj.url
    action = f"automation.{type(obj).__name__.lower()}_deleted"
    with transaction.atomic():
        record_audit(actor, action, obj, data=data)
        obj.delete()


def resolve_team(desk: Desk, slug: str | None) -> Team | None:
    if not slug:
        raise ValidationError({"team": _("a team macro needs a team")})
    team = Team.objects.filter(desk=desk, slug=slug).first()
    if team is None:
        raise ValidationError(
            {
                "team": lazy_message(
                    _("desk %(desk)s has no team %(slug)r"), desk=desk.slug, slug=slug
                )
            }
        )
    return team


def clean_events(events: Any) -> list[str]:
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
    return sorted(set(events), key=Event.values.index)


def save_webhook(hook: Webhook, values: dict[str, Any], actor: User | None) -> Webhook:
    check_may_change_webhooks(actor)
    if values.get("url") is not None:
        hook.url = check_url(values["url"].strip())
    if values.get("events") is not None or hook.pk is None:
        hook.events = clean_events(values.get("events"))
    _plain(hook, values)
    if hook.pk is None:
        hook.secret = new_secret()
        hook.created_by = actor
    with transaction.atomic():
        hook.save()
        # Where the desk's tickets go, which of them and whether they go at all.
        data = {"desk": hook.desk_id, "url": hook.url, "events": hook.events}
        record_audit(
            actor, "automation.webhook_saved", hook, data={**data, "active": hook.is_active}
        )
    return hook


def create_inbound_hook(desk: Desk, values: dict[str, Any], actor: User) -> tuple[InboundHook, str]:
    """A new inbound hook and its token (shown once; only the digest is kept)."""
    from deskline.core.emails import check_email, normalize_email

    email = normalize_email(values["sender_email"])
    try:
        check_email(email)
    except ValidationError:
        raise ValidationError({"sender_email": _("a mail address is needed")}) from None
    token = inbound_service.new_token()
    hook = InboundHook(
        desk=desk,
        name=values["name"],
        sender_email=email,
        sender_name=values.get("sender_name") or "",
        subject_path=values.get("subject_path") or "title",
        body_path=values.get("body_path") or "message",
        key_path=values.get("key_path") or "alert_key",
        token_prefix=token[:12],
        token_digest=inbound_service.digest_of(token),
        created_by=actor,
    )
    with transaction.atomic():
        hook.save()
        record_audit(actor, "automation.inbound_hook_created", hook, data={"name": hook.name})
    return hook, token
