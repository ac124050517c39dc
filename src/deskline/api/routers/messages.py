from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status

from deskline.api.pagination import page_by
from deskline.api.routers.tickets import pending_attachments
from deskline.api.schemas import Error, MessageCreateIn, MessageOut, MessagePage
from deskline.api.serializers import message_out
from deskline.tickets import services
from deskline.tickets.access import (
    EDITING_ROLES,
    check_can_add_message,
    get_ticket_for_user,
    visible_messages_for_user,
)
from deskline.tickets.choices import Channel
from deskline.tickets.models import Attachment, Message

router = Router(tags=["messages"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _with_attachments(queryset):  # type: ignore[no-untyped-def]
    return queryset.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


@router.get("/tickets/{ticket_id}/messages", response={200: MessagePage, **ERRORS})
def list_messages(
    request: HttpRequest, ticket_id: str, limit: int = 50, cursor: str | None = None
) -> dict:
    if not 1 <= limit <= 100:
        raise ValidationError({"limit": "limit must be between 1 and 100"})
    ticket = get_ticket_for_user(request.auth, ticket_id)
    messages = _with_attachments(visible_messages_for_user(request.auth, ticket))
    rows, next_cursor = page_by(messages, "created_at", cursor, limit, descending=False)
    return {"items": [message_out(m, ticket.number) for m in rows], "next_cursor": next_cursor}


@router.post("/tickets/{ticket_id}/messages", response={201: MessageOut, **ERRORS})
def add_message(request: HttpRequest, ticket_id: str, payload: MessageCreateIn) -> Status:
    ticket = get_ticket_for_user(request.auth, ticket_id)
    check_can_add_message(request.auth, ticket, internal=payload.internal)
    channel = payload.channel or Channel.API
    if channel not in Channel.values:
        raise ValidationError({"channel": f"{channel!r} is not one of {Channel.values}"})
    if ticket.viewer_role not in EDITING_ROLES:
        channel = Channel.API
    attachments = pending_attachments(payload.attachment_ids)
    message = services.add_message(
        ticket,
        actor=request.auth,
        body_text=payload.body_text,
        body_html=payload.body_html or "",
        internal=payload.internal,
        channel=channel,
        attachments=attachments,
    )
    message = _with_attachments(Message.objects.filter(pk=message.pk)).get()
    return Status(201, message_out(message, ticket.number))
