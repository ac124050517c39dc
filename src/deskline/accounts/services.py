"""Account operations: requesters, agents, tokens, audit entries."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.domains import to_ascii
from deskline.accounts.models import ApiToken, AuditEntry, Organization, User, normalize_email
from deskline.core import rows
from deskline.core.emails import check_email
from deskline.core.errors import lazy_message

TOKEN_PREFIX = "dl_"


def record_audit(
    actor: User | None,
    action: str,
    obj: object | None = None,
    *,
    data: dict | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        data=data or {},
        ip_address=ip_address,
    )


def clean_email(email: str, *, field: str = "email") -> str:
    email = normalize_email(email or "")
    try:
        check_email(email)
    except ValidationError:
        raise ValidationError(
            {field: lazy_message(_("%(email)r is not a valid email address"), email=email)}
        ) from None
    return email


def organization_for_email(email: str) -> Organization | None:
    written = email.rpartition("@")[2].strip().lower()
    domain = to_ascii(written) if written else None
    if domain is None:
        return None
    # JSON containment is not portable to SQLite, so the database narrows the search
    # by text (both backends can read the list as text) and Python confirms the match.
    candidates = Organization.objects.exclude(domains=[]).only("id", "domains")
    if written == domain and not domain.startswith("xn--") and ".xn--" not in domain:
        # Domains are stored in ASCII; one saved before that may be in Unicode (which
        # stored JSON escapes, so text can't find it): only a plain name narrows.
        candidates = candidates.annotate(domains_text=Cast("domains", TextField())).filter(
            domains_text__icontains=f'"{domain}"'
        )
    for org in candidates:
        if any(to_ascii(d) == domain for d in org.domains if isinstance(d, str)):
            return org
    return None


def existing_requester(email: str, name: str = "", *, field: str = "email") -> User | None:
    """The user behind an address when get_or_create_requester would write nothing for it;
    None when it would create the user or fill in their name."""
    user = rows.first(User, "email", clean_email(email, field=field))
    if user is None or (name and not user.name):
        return None
    return user


def get_or_create_requester(
    email: str,
    name: str = "",
    *,
    language: str = "",
    field: str = "email",
    known_absent: bool = False,
) -> User:
    """The user behind an address, created as a requester on first contact.

    known_absent: the caller looked this (cleaned) address up in its transaction and
    found no one, so the lookup is skipped (a concurrent creator is still handled)."""
    email = clean_email(email, field=field)
    user = None if known_absent else User.objects.filter(email=email).first()
    if user is not None:
        if name and not user.name:
            user.name = name[:200]
            user.save(update_fields=["name"])
        return user
    try:
        # A savepoint, so a concurrent creator of the same address does not abort
        # the caller's transaction.
        with transaction.atomic():
            return User.objects.create_user(
                email,
                name=(name or "")[:200],
                organization=organization_for_email(email),
                language=language or "en",
            )
    except IntegrityError:
        return User.objects.get(email=email)


def create_admin(email: str, password: str, *, name: str = "") -> User:
    email = clean_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_superuser(email, password, name=name)
    else:
        user.is_superuser = True
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
    record_audit(None, "admin.created", user)
    return user


def create_api_token(user: User, *, name: str = "default", actor: User | None = None) -> str:
    """Create a token and return its secret; the secret is not stored anywhere."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], digest=ApiToken.digest_of(secret)
    )
    record_audit(actor or user, "token.created", token, data={"user": user.email, "name": name})
    return secret


def revoke_api_token(token: ApiToken, *, actor: User | None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_audit(actor, "token.revoked", token)


# Writing last_used_at on every call would turn every API read into a write.
TOKEN_TOUCH_SECONDS = 300


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # Every API request runs this: the same join in plain SQL costs a fraction of the
    # ORM's query (core/rows.py).
    token = rows.first_with(ApiToken, "digest", ApiToken.digest_of(secret), "user")
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
