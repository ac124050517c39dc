"""WebSocket consumers: they tell open pages that something changed; the pages then
fetch the fresh HTML over plain HTTP, where every access check already lives.

Access is checked when a page connects and again for each event before it is passed on
(a query or a few, see tickets.access.live_ticket_role and live_desk_access): a
listener who lost access since (taken off the desk, no admin any more, a ticket moved
to another desk) or whose session ended (signed out, deactivated, password changed:
accounts.sessions.live_session_user) hears nothing more, and the socket closes
(ACCESS_ENDED); the page's next handshake, with its current cookie, decides whether it
opens again."""

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from deskline.accounts.sessions import live_session_user
from deskline.core.errors import NotFound
from deskline.desks.models import Desk
from deskline.tickets.access import (
    AGENT_ROLES,
    agent_desk_ids,
    get_ticket_for_user,
    live_desk_access,
    live_ticket_role,
)
from deskline.web.live import desk_group, poller, ticket_group, user_group

log = logging.getLogger(__name__)
PRESENCE_STATES = {"viewing", "replying"}
# Close codes of a refused handshake, which the pages do not retry (deskline.js).
NO_TICKET = 4404
NO_DESK = 4403
# The user's own socket without a signed-in session: the same code, nothing to retry.
NO_SESSION = 4403
# Access ended while the socket was open. The page retries with the cookie it holds now,
# and the handshake decides: a session Django re-keyed since (a secret key rotated onto
# SECRET_KEY_FALLBACKS, a sign-in's new key) opens again; a signed-out or demoted user
# is refused with one of the codes above and the page stops.
ACCESS_ENDED = 4401


def _ticket_access(user: Any, ticket_id: int) -> tuple[int, bool] | None:
    try:
        ticket = get_ticket_for_user(user, ticket_id)
    except NotFound:
        return None
    return ticket.pk, ticket.viewer_role in AGENT_ROLES


def _session_key(scope: dict[str, Any]) -> str | None:
    """The key of the session the socket opened with (session_auth_stack loaded it)."""
    session = scope.get("session")
    return session.session_key if session is not None else None


class SessionBoundConsumer(AsyncJsonWebsocketConsumer):
    """A socket that lives no longer than the session it opened with.

    Each event's access check re-reads the session (live_session_user); a quiet socket
    asks too, every WS_SESSION_CHECK_SECONDS, since a deactivated user's socket may never
    hear another event. The timer posts to the socket's own channel, so the check runs
    in turn with the events, never beside one.
    """

    session_key: str | None = None
    _session_timer: "asyncio.Task[None] | None" = None

    async def start_listening(self, groups: list[str]) -> None:
        """Join the groups, accept the socket and start watching its session."""
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        poller.ensure_running()
        await self.accept()
        self.watch_session()

    def watch_session(self) -> None:
        self.session_key = _session_key(self.scope)
        self._session_timer = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_SESSION_CHECK_SECONDS)
            try:
                await self.channel_layer.send(self.channel_name, {"type": "session.check"})
            except Exception:  # a layer hiccup (Redis restarting) must not end the checks
                log.exception("live socket session check could not be queued; retrying")

    def stop_watching(self) -> None:
        if self._session_timer is not None:
            self._session_timer.cancel()
            self._session_timer = None

    def listening(self) -> bool:
        raise NotImplementedError

    async def leave_groups(self) -> None:
        raise NotImplementedError

    async def close_for_no_access(self) -> None:
        self.stop_watching()
        await self.leave_groups()
        await self.close(code=ACCESS_ENDED)

    async def session_check(self, message: dict[str, Any]) -> None:
        if not self.listening():
            return
        user_id = self.scope["user"].pk
        if await database_sync_to_async(live_session_user)(self.session_key, user_id) is None:
            await self.close_for_no_access()

    async def disconnect(self, code: int) -> None:
        self.stop_watching()
        if self.listening():
            await self.leave_groups()


def _desk_ids(user: Any) -> list[int]:
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return agent_desk_ids(user)


class OneGroupConsumer(SessionBoundConsumer):
    """A socket that listens to one group (a ticket's, a user's own)."""

    def listening(self) -> bool:
        return hasattr(self, "group")

    async def before_leaving(self, group: str) -> None:
        """What a socket says before it leaves its group (nothing by default)."""

    async def leave_groups(self) -> None:
        group = self.group
        del self.group
        await self.before_leaving(group)
        await self.channel_layer.group_discard(group, self.channel_name)


class TicketConsumer(OneGroupConsumer):
    """One open ticket page: its changes, and (for agents) who else is on it."""

    async def connect(self) -> None:
        user = self.scope["user"]
        ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        access = await database_sync_to_async(_ticket_access)(user, ticket_id)
        if access is None:
            await self.close(code=NO_TICKET)
            return
        self.ticket_id, self.is_agent = access
        self.state = "viewing"
        self.group = ticket_group(self.ticket_id)
        await self.start_listening([self.group])

    async def before_leaving(self, group: str) -> None:
        if self.is_agent:
            await self._announce("left", group=group)
        self.is_agent = False

    async def _still_allowed(self) -> bool:
        """Re-read the listener's access to the ticket; on losing it, leave and close."""
        if not self.listening():
            return False  # already left: events queued before that are dropped
        user_id = self.scope["user"].pk
        check = database_sync_to_async(live_ticket_role)
        role = await check(self.session_key, user_id, self.ticket_id)
        if role is None:
            self.is_agent = False  # no "left" either: they may not hear of the ticket
            await self.close_for_no_access()
            return False
        self.is_agent = role in AGENT_ROLES  # a demoted agent no longer sees notes
        return True

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.is_agent or not isinstance(content, dict):
            return
        if content.get("type") == "presence" and content.get("state") in PRESENCE_STATES:
            # What a page says is checked as what it hears: no presence from a page
            # whose session ended or that lost the ticket.
            if not await self._still_allowed() or not self.is_agent:
                return
            self.state = content["state"]
            await self._announce(self.state, hello=bool(content.get("hello")))

    async def _announce(self, state: str, *, hello: bool = False, group: str = "") -> None:
        user = self.scope["user"]
        await self.channel_layer.group_send(
            group or self.group,
            {
                "type": "presence.update",
                "sender": self.channel_name,
                "name": user.name or user.email,
                "user_id": user.pk,
                "state": state,
                "hello": hello,
            },
        )

    async def presence_update(self, message: dict[str, Any]) -> None:
        if not self.is_agent or message["sender"] == self.channel_name:
            return
        if message["user_id"] == self.scope["user"].pk:
            return  # the same agent in another tab is not a collision
        if not await self._still_allowed() or not self.is_agent:
            return
        await self.send_json(
            {
                "event": "presence",
                "key": message["sender"],
                "name": message["name"],
                "state": message["state"],
            }
        )
        if message["hello"]:
            await self._announce(self.state)

    async def ticket_change(self, message: dict[str, Any]) -> None:
        if not await self._still_allowed():
            return
        if not message.get("public", True) and not self.is_agent:
            return
        await self.send_json(
            {
                "event": "change",
                "kind": message["kind"],
                "fields": message["fields"],
                "mine": message["actor_id"] == self.scope["user"].pk,
            }
        )


class DeskConsumer(SessionBoundConsumer):
    """Agent pages that show lists and counts: any change on the agent's desks."""

    async def connect(self) -> None:
        desk_ids = await database_sync_to_async(_desk_ids)(self.scope["user"])
        if not desk_ids:
            await self.close(code=NO_DESK)
            return
        self.groups_joined = [desk_group(d) for d in desk_ids]
        await self.start_listening(self.groups_joined)

    def listening(self) -> bool:
        return bool(getattr(self, "groups_joined", None))

    async def leave_groups(self) -> None:
        groups, self.groups_joined = self.groups_joined, []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ticket_change(self, message: dict[str, Any]) -> None:
        group = desk_group(message["desk_id"])
        if group not in getattr(self, "groups_joined", []):
            return  # a desk left since: an event queued before that is dropped
        user_id = self.scope["user"].pk
        check = database_sync_to_async(live_desk_access)
        if not await check(self.session_key, user_id, message["desk_id"]):
            self.groups_joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)
            if not self.groups_joined:
                await self.close_for_no_access()
            return
        await self.send_json(
            {"event": "change", "ticket_id": message["ticket_id"], "kind": message["kind"]}
        )


class UserConsumer(OneGroupConsumer):
    """Any signed-in page: what concerns this user alone (new notifications).

    The group comes from the session's user, never from the URL or a message, so a page
    can only ever hear its own user's news, and only while that session signs them in.
    """

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated or not user.is_active:
            await self.close(code=NO_SESSION)
            return
        self.group = user_group(user.pk)
        await self.start_listening([self.group])

    async def user_change(self, message: dict[str, Any]) -> None:
        if not self.listening():
            return  # already closed: events queued before that are dropped
        user_id = self.scope["user"].pk
        if await database_sync_to_async(live_session_user)(self.session_key, user_id) is None:
            await self.close_for_no_access()
            return
        await self.send_json({"event": message["kind"]})
