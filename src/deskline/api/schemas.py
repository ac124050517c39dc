"""Request and response shapes of /api/v1. Extend freely; don't rename (clients rely on them)."""

from datetime import datetime
from typing import Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    model_validator,
)

from deskline.core.ids import Id


class Input(Schema):
    """Request bodies: a key the API does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        # Ninja's Schema validates a body twice when extra keys are forbidden: the dict
        # itself (to refuse extra keys), then the dict again behind its DjangoGetter,
        # which only adds resolve_* methods and the reading of Django objects. For a
        # parsed JSON object and a schema without resolvers the second pass gives the
        # same model, so the first one's is kept (every nested body schema did both).
        if type(values) is dict and not cls._ninja_resolvers:
            return handler(values)
        handler(values)
        return handler(DjangoGetter(values, cls, info.context))


class Error(Schema):
    detail: str
    errors: list[dict[str, str]] | None = None


class UserRef(Schema):
    id: int
    name: str
    email: str


class SenderOut(Schema):
    name: str
    email: str


class NamedRef(Schema):
    id: int
    name: str


class DeskRef(Schema):
    id: int
    slug: str
    name: str
    prefix: str


class TeamRef(Schema):
    id: int
    slug: str
    name: str


class CategoryRef(Schema):
    id: int
    path: str
    name: str


class SlaTimerOut(Schema):
    metric: str
    state: str
    due_at: datetime | None
    target_minutes: int
    breached: bool
    met_at: datetime | None


class TicketOut(Schema):
    id: int
    number: str
    desk: DeskRef
    subject: str
    status: str
    custom_status: str | None
    priority: str
    impact: str
    urgency: str
    type: str
    tier: int
    channel: str
    category: CategoryRef | None
    tags: list[str]
    custom_fields: dict[str, Any]
    requester: UserRef
    organization: NamedRef | None
    team: TeamRef | None
    assignee: UserRef | None
    merged_into: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    sla: list[SlaTimerOut] = []
    url: str


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class RequesterIn(Input):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(default="", max_length=200)


class MessageBodyIn(Input):
    body_text: str = ""
    body_html: str | None = None
    attachment_ids: list[Id] = []


class TicketCreateIn(Input):
    desk: int | str
    subject: str = Field(min_length=1, max_length=500)
    requester: RequesterIn | None = None
    message: MessageBodyIn
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    type: str | None = None
    tier: int | str | None = None
    category: int | str | None = None
    team: int | str | None = None
    assignee: int | str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    followers: list[str] = []
    channel: str | None = None


class TicketUpdateIn(Input):
    subject: str | None = Field(default=None, max_length=500)  # as on create, not cut
    status: str | None = None
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    type: str | None = None
    tier: int | str | None = None
    category: int | str | None = None
    team: int | str | None = None
    assignee: int | str | None = None
    tags: list[str] | None = None
    add_tags: list[str] | None = None
    remove_tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    ticket: str
    sender: SenderOut
    author: UserRef | None
    subject: str
    body_text: str
    body_html: str
    internal: bool
    channel: str
    attachments: list[AttachmentOut]
    source_headers: dict[str, Any]
    created_at: datetime
    reply_text: str  # body_text without quoted history/signature when it came by mail
    # By mail, our boundary server's verdict on From (DESKLINE_MAIL_AUTHSERV_ID): true,
    # false (not verified: the mail joined no ticket by its From alone), null when not
    # checked (another channel, or the check off); "dmarc=fail", "spf=pass", "none"…
    sender_verified: bool | None = None
    sender_verification: str = ""


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class MessageCreateIn(Input):
    body_text: str = ""
    body_html: str | None = None
    internal: bool = False
    attachment_ids: list[Id] = []
    channel: str | None = None


class EventOut(Schema):
    id: int
    kind: str
    field: str
    before: Any
    after: Any
    actor: UserRef | None
    message_id: int | None
    created_at: datetime


class LinkIn(Input):
    target: int | str
    kind: str


class LinkOut(Schema):
    source: str
    target: str
    kind: str
    created_at: datetime


class MergeIn(Input):
    target: int | str


class FollowerIn(Input):
    email: str


class DeskIn(Input):
    name: str = Field(min_length=1, max_length=200)
    slug: str
    prefix: str
    visibility: str = "external"
    description: str = ""
    default_language: str = "en"


class DeskPatch(Input):
    """The settings to change; the rest stay. Admins: all of them; a desk's supervisors:
    name and description."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    slug: str | None = None
    prefix: str | None = None
    visibility: str | None = Field(default=None, description="external or internal")
    default_language: str | None = None
    is_active: bool | None = Field(
        default=None, description="false closes the desk: it takes no requests and leaves lists"
    )


class DeskOut(Schema):
    id: int
    slug: str
    name: str
    prefix: str
    visibility: str
    description: str
    default_language: str
    is_active: bool
    created_at: datetime


class MemberIn(Input):
    email: str
    role: str | None


class CategoryIn(Input):
    name: str = Field(min_length=1, max_length=200)
    slug: str
    parent: int | str | None = None


class CategoryOut(Schema):
    id: int
    path: str
    name: str
    parent_id: int | None


class CustomFieldIn(Input):
    key: str
    label: str
    field_type: str = "text"
    choices: list[Any] = []
    required: bool = False
    visible_to_requester: bool | None = Field(
        default=None,
        description="shown to requesters (their ticket page, portal form, API); only admins"
        " may show a field. Left out: shown for an admin's field, hidden for a supervisor's",
    )


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: str
    choices: list[Any]
    required: bool
    visible_to_requester: bool


class TeamIn(Input):
    desk: int | str
    name: str = Field(min_length=1, max_length=200)
    slug: str
    tier: int = 1


class TeamOut(Schema):
    id: int
    desk: str
    slug: str
    name: str
    tier: int
    members: list[UserRef]


class TeamMemberIn(Input):
    email: str


class UserIn(Input):
    email: str
    name: str = ""
    organization: Id | None = None
    is_employee: bool = False
    language: str = "en"
    time_zone: str = "UTC"
    phone: str = ""


class UserUpdateIn(Input):
    name: str | None = None
    organization: Id | None = None
    is_employee: bool | None = None
    language: str | None = None
    time_zone: str | None = None
    phone: str | None = None


class UserOut(Schema):
    id: int
    email: str
    name: str
    organization: NamedRef | None
    is_employee: bool
    is_admin: bool
    language: str
    time_zone: str
    phone: str
    desk_roles: dict[str, str]
    created_at: datetime


class OrganizationIn(Input):
    name: str = Field(min_length=1, max_length=200)
    domains: list[str] = []
    shared_tickets: bool = False
    notes: str = ""


class OrganizationUpdateIn(Input):
    name: str | None = None
    domains: list[str] | None = None
    shared_tickets: bool | None = None
    notes: str | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    domains: list[str]
    shared_tickets: bool
    notes: str
    created_at: datetime


class TokenOut(Schema):
    token: str
