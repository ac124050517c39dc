"""Request and response shapes of the automation and notification API."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class TriggerIn(Input):
    desk: str
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    events: list[str]
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: list[Any]
    position: int = Field(default=0, ge=0, le=100000)
    is_active: bool = True


class TriggerPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    events: list[str] | None = None
    conditions: dict[str, Any] | None = None
    actions: list[Any] | None = None
    position: int | None = Field(default=None, ge=0, le=100000)
    is_active: bool | None = None


class TriggerOut(Schema):
    id: int
    desk: str
    name: str
    description: str
    events: list[str]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    position: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


class DryRunIn(Input):
    ticket: str
    event: str | None = None


class RunOut(Schema):
    id: int
    ticket: str
    event: str
    outcome: str
    actions: list[dict[str, Any]]
    error: str
    depth: int
    created_at: datetime


class RuleIn(Input):
    desk: str
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    status: str
    hours: int
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: list[Any]
    position: int = Field(default=0, ge=0, le=100000)
    is_active: bool = True


class RulePatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    status: str | None = None
    hours: int | None = None
    conditions: dict[str, Any] | None = None
    actions: list[Any] | None = None
    position: int | None = Field(default=None, ge=0, le=100000)
    is_active: bool | None = None


class RuleOut(Schema):
    id: int
    desk: str
    name: str
    description: str
    status: str
    hours: int
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    position: int
    is_active: bool
    last_run_at: datetime | None


class RuleDryRunIn(Input):
    ticket: str
    at: datetime | None = None


class MacroIn(Input):
    desk: str
    name: str = Field(min_length=1, max_length=200)
    scope: str = "personal"
    team: str | None = None
    actions: list[Any] = Field(default_factory=list)
    replies: dict[str, str] = Field(default_factory=dict)
    reply_internal: bool = False
    position: int = Field(default=0, ge=0, le=100000)
    is_active: bool = True


class MacroPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    actions: list[Any] | None = None
    replies: dict[str, str] | None = None
    reply_internal: bool | None = None
    position: int | None = Field(default=None, ge=0, le=100000)
    is_active: bool | None = None


class MacroOut(Schema):
    id: int
    desk: str
    name: str
    scope: str
    team: str | None
    owner: str | None
    actions: list[dict[str, Any]]
    replies: dict[str, str]
    reply_internal: bool
    position: int
    is_active: bool


class MacroApplied(Schema):
    ticket: dict[str, Any]
    message_id: int | None
    changed: list[str]


class WebhookIn(Input):
    desk: str
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    events: list[str]
    is_active: bool = True


class WebhookPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = None
    is_active: bool | None = None


class WebhookOut(Schema):
    id: int
    desk: str
    name: str
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime
    # Only in the answer that creates the webhook.
    secret: str | None = None


class AttemptOut(Schema):
    number: int
    status_code: int | None
    error: str
    duration_ms: int
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    event: str
    ticket: str | None
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptOut]


class InboundHookIn(Input):
    desk: str
    name: str = Field(min_length=1, max_length=200)
    sender_email: str = Field(min_length=3, max_length=254)
    sender_name: str = ""
    subject_path: str = Field(default="title", min_length=1, max_length=200)
    body_path: str = Field(default="message", min_length=1, max_length=200)
    key_path: str = Field(default="alert_key", min_length=1, max_length=200)


class InboundHookOut(Schema):
    id: int
    desk: str
    name: str
    sender_email: str
    subject_path: str
    body_path: str
    key_path: str
    is_active: bool
    token_prefix: str
    last_used_at: datetime | None
    # Only in the answer that creates the hook: the path to post alerts to.
    url: str | None = None


class InboundResult(Schema):
    ticket: str
    created: bool


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    ticket: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int


class MarkReadIn(Input):
    ids: list[int] | None = None


class PreferenceIO(Input):
    mail: str | None = None
    muted_kinds: list[str] | None = None
