"""Whether a session still signs its user in, for connections that outlive a request.

A request reads its session and user afresh (Django's `get_user`); a WebSocket reads
them once, when it opens, and would otherwise go on hearing for a user who has signed
out, been deactivated or changed their password since. Live updates ask this helper
before passing each event on.
"""

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from deskline.accounts.models import User
from deskline.core import rows

DB_ENGINE = "django.contrib.sessions.backends.db"


def _session_data(session_key: str) -> dict:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if settings.SESSION_ENGINE != DB_ENGINE:
        return store(session_key).load()
    # Plain SQL (core/rows.py): this runs for every event of every open page, and the
    # ORM's query building costs several times the read (docs/benchmarks.md).
    row = rows.first(Session, "session_key", session_key)
    if row is None or row.expire_date <= timezone.now():
        return {}
    return store().decode(row.session_data)


def _hash_verified(data: Mapping[str, Any], user: User) -> bool:
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    # A session signed with a key still listed in SECRET_KEY_FALLBACKS is valid, as it
    # is for a request (which then re-signs it under a new session key).
    return any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    )


def live_session_user(session_key: str | None, user_id: int) -> User | None:
    """The user, read afresh, while the session still signs them in; None once it does
    not: signed out or expired (the session is gone), signed in as someone else since,
    the user deactivated, or their password changed (the session's hash no longer
    matches, as for a request)."""
    if not session_key:
        return None
    data = _session_data(session_key)
    if str(data.get(SESSION_KEY)) != str(user_id):
        return None
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = rows.first(User, "pk", user_id)
    if user is None or not user.is_active:
        return None
    return user if _hash_verified(data, user) else None


def handshake_user(session: Mapping[str, Any]) -> User | AnonymousUser:
    """The user a WebSocket handshake's session signs in, decided as Django's `get_user`
    decides it for a request, with one difference: a session signed with a key still in
    SECRET_KEY_FALLBACKS is accepted as it is and nothing is written. A request would
    re-key it, but a socket cannot hand the new cookie back to the browser, and
    Channels' own check (which knows no fallbacks) flushes such a session, signing out
    every user whose page reconnects after the restart that rotates the key. The
    page's next request re-keys it."""
    try:
        user_id = session[SESSION_KEY]
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(User._meta.pk.to_python(user_id))
    if user is None or not _hash_verified(session, user):
        return AnonymousUser()
    return user
