from deskline.automation.models.inbound import InboundAlert, InboundHook
from deskline.automation.models.macros import Macro
from deskline.automation.models.rules import ScheduledRule, ScheduledRuleRun
from deskline.automation.models.triggers import Trigger, TriggerRun
from deskline.automation.models.webhooks import (
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)

__all__ = [
    "DeliveryStatus",
    "InboundAlert",
    "InboundHook",
    "Macro",
    "ScheduledRule",
    "ScheduledRuleRun",
    "Trigger",
    "TriggerRun",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
