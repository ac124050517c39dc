"""Notification mail: one per notification, or a digest of the unread ones."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from deskline.accounts.models import User
from deskline.notifications.models import Notification, NotificationPreference
from deskline.notifications.services import due_digest_users, visible_notifications


def _line(notification: Notification) -> str:
    number = f"[{notification.ticket.number}] " if notification.ticket_id else ""
    return f"{number}{notification.text}"


def send_instant(notification_ids: list[int]) -> int:
    sent = 0
    rows = Notification.objects.filter(pk__in=notification_ids, mailed_at__isnull=True)
    for notification in rows.select_related("user", "ticket"):
        EmailMessage(
            subject=f"Deskline: {_line(notification)}"[:200],
            body=f"{_line(notification)}\n\n{settings.BASE_URL}/",
            to=[notification.user.email],
        ).send()
        Notification.objects.filter(pk=notification.pk).update(mailed_at=timezone.now())
        sent += 1
    return sent


def send_digests(now: datetime | None = None) -> int:
    """Mail each digest user their unread, unmailed notifications; return mails sent."""
    now = now or timezone.now()
    sent = 0
    for user_id in due_digest_users(now):
        with transaction.atomic():
            user = User.objects.get(pk=user_id)
            pending = list(
                visible_notifications(user)
                .select_related("ticket")
                .filter(mailed_at__isnull=True, read_at__isnull=True)
                .order_by("created_at", "id")[:200]
            )
            NotificationPreference.objects.filter(user_id=user_id).update(last_digest_at=now)
            if not pending:
                continue
            body = "\n".join(f"- {_line(n)}" for n in pending)
            EmailMessage(
                subject=f"Deskline: {len(pending)} notifications",
                body=f"{body}\n\n{settings.BASE_URL}/",
                to=[user.email],
            ).send()
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(mailed_at=now)
            sent += 1
    return sent
