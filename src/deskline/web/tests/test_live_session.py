"""An open socket lives no longer than the session it was opened with.

Each event a socket would pass on first re-reads the session from the session store and
the user from the database: once the session is gone (signed out, expired), the user
deactivated or their password changed (which ends every session signed in with the old
one), the socket closes with the "access ended" code (4401) and passes nothing on; the
page's retry, a new handshake with the cookie it holds, is refused. Sessions come
from the real sign-in page; real ASGI app, channel layer and database.
"""

from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from deskline.accounts.models import User
from deskline.desks.models import Role
from deskline.notifications.kinds import MENTION
from deskline.notifications.services import notify
from deskline.tickets.services import add_message
from deskline.web.tests.sockets import Socket

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "pw-12345678"


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def signed_in(user: User) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def socket_of(client: Client, path: str = "/ws/me/") -> Socket:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return Socket(path, [(b"origin", b"http://localhost"), (b"cookie", cookie)])


async def closed_with(socket: Socket, code: int) -> None:
    answer = await socket.receive_output(5)
    assert (answer["type"], answer.get("code")) == ("websocket.close", code), answer


def sign_out(user: User, client: Client) -> None:
    assert client.post("/logout/").status_code == 302


def deactivate(user: User, client: Client) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def change_password(user: User, client: Client) -> None:
    user.set_password("another-password-1")
    user.save(update_fields=["password"])


@pytest.mark.parametrize("end", [sign_out, change_password])
def test_the_users_socket_closes_at_the_next_event_once_the_session_is_gone(
    make_user, end: Callable[[User, Client], None]
):
    alice = make_user()
    client = signed_in(alice)
    tab = socket_of(client)

    async def scenario() -> None:
        connected, code = await tab.connect()
        assert connected, code
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
        assert await tab.receive_json_from() == {"event": "notification"}
        await database_sync_to_async(end)(alice, client)
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you again")
        await closed_with(tab, 4401)
        await tab.disconnect()
        # The page tries again with the cookie it holds: the handshake refuses it for good.
        retry = socket_of(client)
        assert await retry.connect() == (False, 4403)

    async_to_sync(scenario)()


@pytest.mark.parametrize("end", [sign_out, deactivate, change_password])
def test_a_quiet_socket_closes_by_itself_once_the_session_is_gone(
    settings, make_user, it_desk, agent_on, end: Callable[[User, Client], None]
):
    """No event need come: a deactivated user is sent none, yet their pages close."""
    settings.WS_SESSION_CHECK_SECONDS = 1
    agent = agent_on(it_desk, Role.AGENT)
    client = signed_in(agent)
    own_tab, desk_tab = socket_of(client), socket_of(client, "/ws/desks/")

    async def scenario() -> None:
        for tab in (own_tab, desk_tab):
            connected, code = await tab.connect()
            assert connected, code
        assert await own_tab.receive_nothing(timeout=1.5)  # checked, still signed in
        await database_sync_to_async(end)(agent, client)
        await closed_with(own_tab, 4401)
        await closed_with(desk_tab, 4401)
        for tab in (own_tab, desk_tab):
            await tab.disconnect()

    async_to_sync(scenario)()


def test_signing_out_one_session_leaves_the_others_open(make_user):
    alice = make_user()
    laptop, phone = signed_in(alice), signed_in(alice)
    laptop_tab, phone_tab = socket_of(laptop), socket_of(phone)

    async def scenario() -> None:
        for tab in (laptop_tab, phone_tab):
            connected, code = await tab.connect()
            assert connected, code
        await database_sync_to_async(sign_out)(alice, laptop)
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
        assert await phone_tab.receive_json_from() == {"event": "notification"}
        await closed_with(laptop_tab, 4401)
        for tab in (laptop_tab, phone_tab):
            await tab.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("end", [sign_out, change_password])
def test_ticket_and_desk_sockets_close_once_the_session_is_gone(
    it_desk, agent_on, make_user, make_ticket, end: Callable[[User, Client], None]
):
    agent, colleague = agent_on(it_desk, Role.AGENT), agent_on(it_desk, Role.AGENT)
    ticket = make_ticket(it_desk, make_user(), subject="VPN drops")
    client = signed_in(agent)
    ticket_tab = socket_of(client, f"/ws/tickets/{ticket.pk}/")
    desk_tab = socket_of(client, "/ws/desks/")

    async def scenario() -> None:
        for tab in (ticket_tab, desk_tab):
            connected, code = await tab.connect()
            assert connected, code
        await database_sync_to_async(end)(agent, client)
        await database_sync_to_async(add_message)(ticket, actor=colleague, body_text="hello")
        await closed_with(ticket_tab, 4401)
        await closed_with(desk_tab, 4401)
        for tab in (ticket_tab, desk_tab):
            await tab.disconnect()

    async_to_sync(scenario)()


def test_a_signed_out_page_announces_no_presence(it_desk, agent_on, make_user, make_ticket):
    """What a page sends is an event too: a socket whose session ended neither tells the
    ticket's other agents someone is replying nor stays open."""
    leaving, colleague = agent_on(it_desk, Role.AGENT), agent_on(it_desk, Role.AGENT)
    ticket = make_ticket(it_desk, make_user(), subject="VPN drops")
    path = f"/ws/tickets/{ticket.pk}/"
    client = signed_in(leaving)
    leaving_tab, colleague_tab = socket_of(client, path), socket_of(signed_in(colleague), path)

    async def scenario() -> None:
        for tab in (leaving_tab, colleague_tab):
            connected, code = await tab.connect()
            assert connected, code
        await leaving_tab.send_json_to({"type": "presence", "state": "viewing"})
        assert (await colleague_tab.receive_json_from())["state"] == "viewing"
        await database_sync_to_async(sign_out)(leaving, client)
        await leaving_tab.send_json_to({"type": "presence", "state": "replying"})
        await closed_with(leaving_tab, 4401)
        assert await colleague_tab.receive_nothing(timeout=1)
        for tab in (leaving_tab, colleague_tab):
            await tab.disconnect()

    async_to_sync(scenario)()


def test_a_session_rekeyed_by_a_secret_key_rotation_opens_again(settings, make_user):
    """Django re-keys a session signed with a key now in SECRET_KEY_FALLBACKS at its next
    request; the socket opened under the old key closes, and the page's retry with the
    new cookie is let in and hears its user's news again."""
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    alice = make_user()
    client = signed_in(alice)
    tab = socket_of(client)
    old_key = client.cookies["sessionid"].value

    def rotate() -> None:
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40

    async def scenario() -> None:
        connected, code = await tab.connect()  # the page was open before the rotation
        assert connected, code
        rotate()
        await database_sync_to_async(notify)([alice.pk], MENTION, "Still signed in")
        assert await tab.receive_json_from() == {"event": "notification"}
        # A page request: Django verifies the session with the old key and re-keys it.
        page = await database_sync_to_async(client.get)("/portal/")
        assert page.status_code == 200
        assert client.cookies["sessionid"].value != old_key
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
        await closed_with(tab, 4401)
        await tab.disconnect()
        retry = socket_of(client)
        connected, code = await retry.connect()
        assert connected, code
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you again")
        assert await retry.receive_json_from() == {"event": "notification"}
        await retry.disconnect()

    async_to_sync(scenario)()


def test_a_socket_opened_right_after_a_key_rotation_keeps_its_user_signed_in(settings, make_user):
    """Rotating the key means restarting Deskline, which drops every socket: open pages
    reconnect at once, before any page request re-keys their sessions. The handshake
    accepts a session signed with a key in SECRET_KEY_FALLBACKS, as a request does, and
    leaves the session alone (it cannot hand a re-keyed cookie back to the browser), so
    the user stays signed in."""
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    alice = make_user()
    client = signed_in(alice)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    tab = socket_of(client)

    async def scenario() -> None:
        connected, code = await tab.connect()
        assert connected, code
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
        assert await tab.receive_json_from() == {"event": "notification"}
        await tab.disconnect()

    async_to_sync(scenario)()
    # Still signed in: the page request verifies the session with the fallback key.
    assert client.get("/portal/").status_code == 200
    assert client.get("/api/v1/users/me").json()["id"] == alice.pk


def test_a_socket_whose_session_no_key_signs_is_refused(settings, make_user):
    alice = make_user()
    client = signed_in(alice)
    settings.SECRET_KEY = "a-key-the-session-was-never-signed-with-" + "z" * 30
    connected, code = async_to_sync(socket_of(client).connect)()
    assert (connected, code) == (False, 4403)
