"""Sign-in by a one-time link sent by mail, for requesters.

A link works once, for LINK_LIFETIME, and only its hash is stored. Asking for links is
rate-limited per address and per client, and the answer never says whether the address
has an account. Agents and admins sign in with their password only: their mailbox
should not be a key to every desk they work on.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deskline.accounts.models import User
from deskline.accounts.services import record_audit
from deskline.tickets.access import is_agent_anywhere
from deskline.web.models import SignInLink

LINK_LIFETIME = timedelta(minutes=15)
PER_EMAIL = 3  # links per address per window
PER_CLIENT = 10  # links asked from one IP address per window
WINDOW_SECONDS = 60 * 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _allowed(ip: str, email: str) -> bool:
    """Count this request; False once the address or the client asked too often."""
    allowed = True
    for key, limit in (
        (f"signin-link:ip:{ip}", PER_CLIENT),
        (f"signin-link:to:{email}", PER_EMAIL),
    ):
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=WINDOW_SECONDS)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def may_use_links(user: User) -> bool:
    return user.is_active and not user.is_staff and not is_agent_anywhere(user)


def send_sign_in_link(email: str, ip: str) -> bool:
    """Mail a link if the address belongs to a requester; False when rate-limited.

    True does not mean a mail went out: unknown addresses get the same answer.
    """
    email = email.strip().lower()
    if not _allowed(ip, email):
        return False
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not may_use_links(user):
        return True
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    SignInLink.objects.create(
        user=user, token_hash=_hash(token), created_at=now, expires_at=now + LINK_LIFETIME
    )
    url = f"{settings.BASE_URL}/portal/sign-in/{token}/"
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Your Deskline sign-in link")
        body = _(
            "Open this link to sign in to the help center:\n\n%(url)s\n\n"
            "It works once, within %(minutes)d minutes. If you did not ask for it, "
            "ignore this mail."
        ) % {"url": url, "minutes": minutes}
    send_mail(subject, body, None, [user.email])
    record_audit(user, "login.link_sent", user, ip_address=ip or None)
    return True


def redeem(token: str) -> User | None:
    """The link's user if the token is valid, unused and unexpired; it is used up."""
    if not token or len(token) > 100:
        return None
    with transaction.atomic():
        link = (
            SignInLink.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(token), used_at__isnull=True)
            .first()
        )
        if link is None or link.expires_at <= timezone.now():
            return None
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    # Checked again at use: the person may have become an agent since the mail left.
    return link.user if may_use_links(link.user) else None
