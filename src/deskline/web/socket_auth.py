"""Who a WebSocket belongs to: Channels' session and cookie middleware, with the user
resolved by accounts.sessions.handshake_user instead of Channels' `get_user` (which
knows no SECRET_KEY_FALLBACKS and flushes a session signed with one)."""

from typing import Any

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware

from deskline.accounts.sessions import handshake_user


class SessionUserMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await database_sync_to_async(handshake_user)(scope["session"])


def session_auth_stack(inner: Any) -> CookieMiddleware:
    return CookieMiddleware(SessionMiddleware(SessionUserMiddleware(inner)))
