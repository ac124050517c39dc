"""Live updates follow access as it is now, not as it was when the page connected.

Each event a ticket or desk socket would pass on is checked against the listener's
current access: an agent taken off the desk, an admin who is one no more, a follower
taken off the ticket, or anyone whose ticket moved to a desk they do not work on stops
hearing of it, and the socket closes with the "access ended" code (4401).
Real ASGI app, real channel layer and database (the LiveChange poller on the embedded
default; the Redis layer when REDIS_URL is set).
"""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from deskline.desks.models import Role
from deskline.desks.services import set_desk_role
from deskline.tickets.models import Ticket, TicketFollower
from deskline.tickets.services import add_message, remove_follower
from deskline.tickets.services.hooks import TICKET_UPDATED, TicketChange
from deskline.web.live import publish
from deskline.web.tests.sockets import socket_for

pytestmark = pytest.mark.django_db(transaction=True)
CLOSED = "websocket.close"


async def _connected(*sockets):
    for socket in sockets:
        connected, code = await socket.connect()
        assert connected, code


async def _closed_with(socket, code: int) -> None:
    answer = await socket.receive_output(5)
    assert (answer["type"], answer.get("code")) == (CLOSED, code), answer


@pytest.fixture
def scene(it_desk, agent_on, make_user, make_ticket):
    requester = make_user(is_employee=True)
    ticket = make_ticket(it_desk, requester, subject="VPN drops")
    return {
        "ticket": ticket,
        "requester": requester,
        "stays": agent_on(it_desk, Role.AGENT),
        "leaves": agent_on(it_desk, Role.AGENT),
    }


def test_an_agent_taken_off_the_desk_hears_nothing_more(scene, it_desk):
    ticket, stays, leaves = scene["ticket"], scene["stays"], scene["leaves"]
    path = f"/ws/tickets/{ticket.pk}/"
    sockets = {
        "stays_ticket": socket_for(stays, path),
        "stays_desk": socket_for(stays, "/ws/desks/"),
        "leaves_ticket": socket_for(leaves, path),
        "leaves_desk": socket_for(leaves, "/ws/desks/"),
    }

    async def scenario() -> None:
        await _connected(*sockets.values())
        await database_sync_to_async(add_message)(ticket, actor=stays, body_text="first")
        for socket in sockets.values():
            assert (await socket.receive_json_from())["event"] == "change"
        await database_sync_to_async(set_desk_role)(it_desk, leaves, None, actor=None)
        await database_sync_to_async(add_message)(ticket, actor=stays, body_text="second")
        for name in ("stays_ticket", "stays_desk"):
            assert (await sockets[name].receive_json_from())["event"] == "change"
        await _closed_with(sockets["leaves_ticket"], 4401)
        await _closed_with(sockets["leaves_desk"], 4401)
        for socket in sockets.values():
            await socket.disconnect()

    async_to_sync(scenario)()


def test_an_admin_no_more_hears_nothing_more(scene, admin_user):
    ticket, stays = scene["ticket"], scene["stays"]
    watcher = socket_for(stays, f"/ws/tickets/{ticket.pk}/")
    admin_ticket = socket_for(admin_user, f"/ws/tickets/{ticket.pk}/")
    admin_desk = socket_for(admin_user, "/ws/desks/")

    async def scenario() -> None:
        await _connected(watcher, admin_ticket, admin_desk)
        admin_user.is_superuser = False
        await database_sync_to_async(admin_user.save)(update_fields=["is_superuser"])
        await database_sync_to_async(add_message)(ticket, actor=stays, body_text="an answer")
        assert (await watcher.receive_json_from())["event"] == "change"
        await _closed_with(admin_ticket, 4401)
        await _closed_with(admin_desk, 4401)
        for socket in (watcher, admin_ticket, admin_desk):
            await socket.disconnect()

    async_to_sync(scenario)()


def test_a_follower_taken_off_the_ticket_hears_nothing_more(scene, make_user):
    ticket, stays = scene["ticket"], scene["stays"]
    follower = make_user(is_employee=True)
    TicketFollower.objects.create(ticket=ticket, user=follower)
    requester = socket_for(scene["requester"], f"/ws/tickets/{ticket.pk}/")
    followed = socket_for(follower, f"/ws/tickets/{ticket.pk}/")

    async def scenario() -> None:
        await _connected(requester, followed)
        await database_sync_to_async(remove_follower)(ticket, follower, actor=stays)
        await database_sync_to_async(add_message)(ticket, actor=stays, body_text="an answer")
        assert (await requester.receive_json_from())["event"] == "change"
        await _closed_with(followed, 4401)
        for socket in (requester, followed):
            await socket.disconnect()

    async_to_sync(scenario)()


def test_a_ticket_moved_to_another_desk_leaves_the_old_desks_agents(scene, support_desk, agent_on):
    ticket, leaves = scene["ticket"], scene["leaves"]
    newcomer = agent_on(support_desk, Role.AGENT)
    path = f"/ws/tickets/{ticket.pk}/"
    old_agent, new_agent = socket_for(leaves, path), socket_for(newcomer, "/ws/desks/")
    requester = socket_for(scene["requester"], path)

    def move() -> None:
        # No service moves a ticket between desks yet: the row changes as such a move
        # would change it, and the change is published as any ticket update is.
        Ticket.objects.filter(pk=ticket.pk).update(desk=support_desk)
        publish(TicketChange(TICKET_UPDATED, ticket.pk, None, fields=("desk",)))

    async def scenario() -> None:
        await _connected(old_agent, new_agent, requester)
        await database_sync_to_async(move)()
        assert (await new_agent.receive_json_from())["ticket_id"] == ticket.pk
        assert (await requester.receive_json_from())["fields"] == ["desk"]
        await _closed_with(old_agent, 4401)
        for socket in (old_agent, new_agent, requester):
            await socket.disconnect()

    async_to_sync(scenario)()
