"""Creating, reading and mailing notifications.

In-app rows are written at once and, after commit, announced to the user's open pages
over the live-update path (web/live.py); mail goes through a task after commit (instant)
or in the hourly digest job.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import lazy_message
from deskline.notifications.kinds import KINDS
from deskline.notifications.models import MailMode, Notification, NotificationPreference
from deskline.tickets.access import about_visible_tickets

DIGEST_EVERY = timedelta(hours=23, minutes=30)
# What open pages are told; they then fetch the fresh badge over HTTP.
LIVE_KIND = "notification"


def preference_for(user: User) -> NotificationPreference:
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def set_preference(
    user: User, *, mail: str | None = None, muted_kinds: list[str] | None = None
) -> NotificationPreference:
    preference = preference_for(user)
    if mail is not None:
        if mail not in MailMode.values:
            raise ValidationError(
                {
                    "mail": lazy_message(
                        _("%(value)r is not one of %(choices)s"),
                        value=mail,
                        choices=MailMode.values,
                    )
                }
            )
        preference.mail = mail
    if muted_kinds is not None:
        unknown = sorted(set(muted_kinds) - set(KINDS))
        if unknown:
            raise ValidationError(
                {
                    "muted_kinds": lazy_message(
                        _("unknown kind %(kind)r; one of %(choices)s"),
                        kind=unknown[0],
                        choices=KINDS,
                    )
                }
            )
        preference.muted_kinds = sorted(set(muted_kinds))
    preference.save()
    return preference


def visible_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications, less those about a ticket they may no longer see (taken
    off its desk, the ticket moved): a notification repeats its ticket's subject. The
    rows stay, and show again if the access comes back."""
    return about_visible_tickets(Notification.objects.filter(user=user), user)


def notify(
    user_ids: Iterable[int],
    kind: str,
    text: str,
    *,
    ticket_id: int | None = None,
    actor_id: int | None = None,
) -> list[Notification]:
    """Tell these users; muted kinds are skipped, instant mail is sent after commit."""
    ids = set(user_ids) - {actor_id}
    if not ids:
        return []
    preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    active = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    rows = [
        Notification(
            user_id=uid, kind=kind, text=text[:500], ticket_id=ticket_id, actor_id=actor_id
        )
        for uid in sorted(active)
        if kind not in (preferences[uid].muted_kinds if uid in preferences else [])
    ]
    Notification.objects.bulk_create(rows)
    if rows:
        from deskline.web.live import publish_to_users

        notified = [n.user_id for n in rows]
        transaction.on_commit(lambda: publish_to_users(notified, LIVE_KIND))
    instant = [
        n.pk
        for n in rows
        if (preferences[n.user_id].mail if n.user_id in preferences else MailMode.INSTANT)
        == MailMode.INSTANT
    ]
    if instant:
        from deskline.notifications.tasks import mail_notifications

        transaction.on_commit(lambda: mail_notifications.enqueue(instant))
    return rows


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when ids is None)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def due_digest_users(now: datetime) -> list[int]:
    return list(
        NotificationPreference.objects.filter(mail=MailMode.DIGEST)
        .exclude(last_digest_at__gt=now - DIGEST_EVERY)
        .values_list("user_id", flat=True)
    )
