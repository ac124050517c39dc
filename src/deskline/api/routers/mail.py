"""Failed mail and mailboxes (admins only). Mailbox secrets are write-only."""

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from deskline.accounts.models import User
from deskline.accounts.services import record_audit
from deskline.api.schemas import Error, Input
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.desks.models import Desk
from deskline.mail.models import Mailbox, RawMail
from deskline.mail.services.intake import reprocess

router = Router(tags=["mail"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _admin(request: HttpRequest) -> None:
    if not request.auth.is_superuser:
        raise Forbidden("only admins manage mail")


class RawMailOut(Schema):
    id: int
    state: str
    reason: str
    error: str
    source: str
    message_id: str
    sender: str
    subject: str
    size: int
    attempts: int
    ticket: str | None
    received_at: datetime
    processed_at: datetime | None


def _raw_out(mail: RawMail) -> dict:
    return {
        **{f: getattr(mail, f) for f in RawMailOut.model_fields if f != "ticket"},
        "ticket": mail.ticket.number if mail.ticket_id else None,
    }


@router.get("/mail/failed", response={200: list[RawMailOut], **ERRORS})
def list_failed(
    request: HttpRequest, state: Literal["failed", "rejected", "all"] = "failed", limit: int = 100
) -> list[dict]:
    """Mail that could not become a ticket or reply, newest first."""
    _admin(request)
    states = ["failed", "rejected"] if state == "all" else [state]
    mails = RawMail.objects.filter(state__in=states).defer("raw").select_related("ticket")
    return [_raw_out(m) for m in mails[: max(1, min(limit, 500))]]


@router.post("/mail/failed/{raw_mail_id}/reprocess", response={200: RawMailOut, **ERRORS})
def reprocess_failed(request: HttpRequest, raw_mail_id: Id) -> dict:
    _admin(request)
    if not RawMail.objects.filter(pk=raw_mail_id).exists():
        raise NotFound(f"mail {raw_mail_id} not found")
    return _raw_out(reprocess(raw_mail_id))


class MailboxIn(Input):
    name: str = Field(min_length=1, max_length=200)
    desk: str = Field(description="desk slug")
    protocol: Literal["imap", "pop3"] = "imap"
    host: str = Field(min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = Field(min_length=1, max_length=255)
    auth: Literal["password", "xoauth2"] = "password"
    secret: str | None = Field(default=None, description="write-only; omitted keeps it")
    folder: str = Field(default="INBOX", max_length=255)
    after_import: Literal["seen", "move", "delete"] = "seen"
    move_to: str = Field(default="", max_length=255)
    enabled: bool = True


class MailboxOut(Schema):
    id: int
    name: str
    desk: str
    protocol: str
    host: str
    port: int | None
    tls: str
    username: str
    auth: str
    has_secret: bool
    folder: str
    after_import: str
    move_to: str
    enabled: bool
    last_polled_at: datetime | None
    last_error: str


def _mailbox_out(mailbox: Mailbox) -> dict:
    fields = [f for f in MailboxOut.model_fields if f not in {"desk", "has_secret"}]
    return {
        **{f: getattr(mailbox, f) for f in fields},
        "desk": mailbox.desk.slug,
        "has_secret": bool(mailbox.secret),
    }


def _apply(mailbox: Mailbox, payload: MailboxIn, actor: User) -> Mailbox:
    """Save the mailbox from the payload and write who did it to the audit log (that
    the secret changed, never the secret)."""
    from django.core.exceptions import ValidationError

    desk = Desk.objects.filter(slug=payload.desk).first()
    if desk is None:
        raise ValidationError({"desk": f"no desk {payload.desk!r}"})
    if payload.after_import == "move" and not payload.move_to:
        raise ValidationError({"move_to": "name the folder to move imported mail to"})
    data = payload.model_dump(exclude={"desk", "secret"})
    for key, value in data.items():
        setattr(mailbox, key, value)
    mailbox.desk = desk
    if payload.secret is not None:
        mailbox.secret = payload.secret
    action = "mailbox.updated" if mailbox.pk else "mailbox.created"
    with transaction.atomic():
        mailbox.save()
        record_audit(
            actor,
            action,
            mailbox,
            data={
                "desk": desk.slug,
                "host": mailbox.host,
                "username": mailbox.username,
                "secret_changed": payload.secret is not None,
            },
        )
    return mailbox


def _get_mailbox(mailbox_id: int) -> Mailbox:
    mailbox = Mailbox.objects.select_related("desk").filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(f"mailbox {mailbox_id} not found")
    return mailbox


@router.get("/mail/mailboxes", response={200: list[MailboxOut], **ERRORS})
def list_mailboxes(request: HttpRequest) -> list[dict]:
    _admin(request)
    return [_mailbox_out(m) for m in Mailbox.objects.select_related("desk")]


@router.post("/mail/mailboxes", response={201: MailboxOut, **ERRORS})
def create_mailbox(request: HttpRequest, payload: MailboxIn) -> Status:
    _admin(request)
    return Status(201, _mailbox_out(_apply(Mailbox(), payload, request.auth)))


@router.get("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS})
def get_mailbox(request: HttpRequest, mailbox_id: Id) -> dict:
    _admin(request)
    return _mailbox_out(_get_mailbox(mailbox_id))


@router.put("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS})
def update_mailbox(request: HttpRequest, mailbox_id: Id, payload: MailboxIn) -> dict:
    _admin(request)
    return _mailbox_out(_apply(_get_mailbox(mailbox_id), payload, request.auth))


@router.delete("/mail/mailboxes/{mailbox_id}", response={204: None, **ERRORS})
def delete_mailbox(request: HttpRequest, mailbox_id: Id) -> Status:
    _admin(request)
    mailbox = _get_mailbox(mailbox_id)
    with transaction.atomic():
        record_audit(request.auth, "mailbox.deleted", mailbox, data={"host": mailbox.host})
        mailbox.delete()
    return Status(204, None)
