"""With Redis, live updates reach other processes' pages over connections that last:
publishing changes from sync code opens no new Redis connection each time."""

import asyncio

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections

from deskline.tickets.services.hooks import TICKET_UPDATED, TicketChange
from deskline.web import live
from deskline.web.live import desk_group, layer_crosses_processes

pytestmark = [
    pytest.mark.skipif(
        not layer_crosses_processes(), reason="only a Redis channel layer crosses processes"
    ),
    # Outside a transaction, so the change is published at once (on commit).
    pytest.mark.django_db(transaction=True),
]


def _change(desk_id: int) -> TicketChange:
    # desk and visibility given: the hook then reads nothing from the database
    return TicketChange(
        TICKET_UPDATED, 1, None, fields=("status",), desk_id=desk_id, internal=False
    )


def _publish_from_a_thread(change: TicketChange) -> None:
    try:
        live.publish(change)
    finally:
        connections.close_all()  # this thread's own, or the test database stays in use


def test_publishing_reuses_the_layers_connections():
    client = redis.Redis.from_url(settings.REDIS_URL)
    live.publish(_change(1))  # the loop's first connections
    before = int(client.info("stats")["total_connections_received"])
    for _ in range(20):
        live.publish(_change(1))
    # Another test run on this Redis may connect meanwhile, not twenty times; one
    # connection per change did (async_to_sync runs each call on a new loop).
    assert int(client.info("stats")["total_connections_received"]) - before < 5


def test_a_published_change_reaches_a_listener_on_another_loop():
    layer = get_channel_layer()

    async def listen_then_hear() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(desk_group(987654), channel)
        try:
            await asyncio.to_thread(_publish_from_a_thread, _change(987654))
            return await asyncio.wait_for(layer.receive(channel), 5)
        finally:
            await layer.group_discard(desk_group(987654), channel)

    message = asyncio.run(listen_then_hear())
    assert message["desk_id"] == 987654 and message["fields"] == ["status"]
