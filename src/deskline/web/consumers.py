"""WebSocket consumers: they tell open pages that something changed; the pages then
fetch the fresh HTML over plain HTTP, where every access check already lives."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from deskline.core.errors import NotFound
from deskline.desks.models import Desk
from deskline.tickets.access import AGENT_ROLES, agent_desk_ids, get_ticket_for_user
from deskline.web.live import desk_group, poller, ticket_group, user_group

PRESENCE_STATES = {"viewing", "replying"}


def _ticket_access(user: Any, ticket_id: int) -> tuple[int, bool] | None:
    try:
        ticket = get_ticket_for_user(user, ticket_id)
    except NotFound:
        return None
    return ticket.pk, ticket.viewer_role in AGENT_ROLES


def _desk_ids(user: Any) -> list[int]:
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return agent_desk_ids(user)


class TicketConsumer(AsyncJsonWebsocketConsumer):
    """One open ticket page: its changes, and (for agents) who else is on it."""

    async def connect(self) -> None:
        user = self.scope["user"]
        ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        access = await database_sync_to_async(_ticket_access)(user, ticket_id)
        if access is None:
            await self.close(code=4404)
            return
        self.ticket_id, self.is_agent = access
        self.state = "viewing"
        self.group = ticket_group(self.ticket_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        poller.ensure_running()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            if self.is_agent:
                await self._announce("left")
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.is_agent or not isinstance(content, dict):
            return
        if content.get("type") == "presence" and content.get("state") in PRESENCE_STATES:
            self.state = content["state"]
            await self._announce(self.state, hello=bool(content.get("hello")))

    async def _announce(self, state: str, *, hello: bool = False) -> None:
        user = self.scope["user"]
        await self.channel_layer.group_send(
            self.group,
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


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """Agent pages that show lists and counts: any change on the agent's desks."""

    async def connect(self) -> None:
        desk_ids = await database_sync_to_async(_desk_ids)(self.scope["user"])
        if not desk_ids:
            await self.close(code=4403)
            return
        self.groups_joined = [desk_group(d) for d in desk_ids]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        poller.ensure_running()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ticket_change(self, message: dict[str, Any]) -> None:
        await self.send_json(
            {"event": "change", "ticket_id": message["ticket_id"], "kind": message["kind"]}
        )


class UserConsumer(AsyncJsonWebsocketConsumer):
    """Any signed-in page: what concerns this user alone (new notifications).

    The group comes from the session's user, never from the URL or a message, so a page
    can only ever hear its own user's news.
    """

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated or not user.is_active:
            await self.close(code=4403)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        poller.ensure_running()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def user_change(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["kind"]})
