"""New notifications reach the signed-in user's open pages, and no one else's."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from deskline.notifications.kinds import MENTION
from deskline.notifications.services import notify
from deskline.web.live import layer_crosses_processes, user_group
from deskline.web.models import LiveChange
from deskline.web.tests.sockets import socket_for

# The ASGI process polls LiveChange rows from its own thread of control, which must see
# the rows committed (a test transaction would hide them).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_memory_layer(settings):
    """The embedded default: the web process writes LiveChange rows, the ASGI process's
    poller fans them out to its in-memory groups."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_a_notification_reaches_its_users_pages_and_no_one_elses(in_memory_layer, make_user):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    alice_tab, alice_other_tab, bob_tab = socket_for(alice), socket_for(alice), socket_for(bob)

    async def scenario() -> None:
        for tab in (alice_tab, alice_other_tab, bob_tab):
            connected, _code = await tab.connect()
            assert connected
        await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
        assert await alice_tab.receive_json_from(timeout=5) == {"event": "notification"}
        assert await alice_other_tab.receive_json_from(timeout=5) == {"event": "notification"}
        assert await bob_tab.receive_nothing(timeout=1)
        for tab in (alice_tab, alice_other_tab, bob_tab):
            await tab.disconnect()

    async_to_sync(scenario)()
    assert list(LiveChange.objects.values_list("user_id", "kind", "ticket_id")) == [
        (alice.pk, "notification", None)
    ]


def test_a_muted_kind_pushes_nothing(in_memory_layer, make_user):
    from deskline.notifications.services import set_preference

    alice = make_user()
    set_preference(alice, muted_kinds=[MENTION])
    notify([alice.pk], MENTION, "Bob mentioned you")
    assert not LiveChange.objects.exists()


def test_signed_out_pages_cannot_listen(in_memory_layer):
    async def scenario() -> tuple[bool, int | None]:
        tab = socket_for(None)
        connected, code = await tab.connect()
        await tab.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)


@pytest.mark.skipif(not layer_crosses_processes(), reason="needs the Redis layer (REDIS_URL)")
def test_with_redis_the_push_goes_straight_to_the_users_group(make_user):
    alice, bob = make_user(), make_user()

    async def scenario() -> tuple[dict, bool]:
        layer = get_channel_layer()
        mine, other = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(user_group(alice.pk), mine)
        await layer.group_add(user_group(bob.pk), other)
        try:
            await database_sync_to_async(notify)([alice.pk], MENTION, "Bob mentioned you")
            received = await asyncio.wait_for(layer.receive(mine), 5)
            try:
                await asyncio.wait_for(layer.receive(other), 1)
                others_heard = True
            except TimeoutError:
                others_heard = False
        finally:
            await layer.group_discard(user_group(alice.pk), mine)
            await layer.group_discard(user_group(bob.pk), other)
        return received, others_heard

    received, others_heard = async_to_sync(scenario)()
    assert received == {"type": "user.change", "user_id": alice.pk, "kind": "notification"}
    assert not others_heard
    assert not LiveChange.objects.exists()  # Redis carries it; no table round trip
