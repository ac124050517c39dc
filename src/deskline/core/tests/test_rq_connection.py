"""With the task queue on Redis, queuing a task reuses the process's Redis connection
instead of opening a new one each time."""

import pytest
from django.apps import apps

from deskline.tickets.services import hooks

pytestmark = pytest.mark.skipif(
    not apps.is_installed("django_rq"), reason="the task queue is on Redis only with REDIS_URL"
)


def _connections_received(client) -> int:
    return int(client.info("stats")["total_connections_received"])


def test_queuing_tasks_opens_no_new_redis_connections(it_desk, make_user, make_ticket):
    import django_rq

    from deskline.tickets.tasks import run_ticket_hooks

    client = django_rq.get_queue("default").connection
    assert django_rq.get_queue("default").connection is client
    ticket = make_ticket(it_desk, make_user())
    change = hooks.TicketChange(hooks.TICKET_OPENED, ticket.pk, None, None, desk_id=it_desk.pk)
    run_ticket_hooks.enqueue(change.as_task_args())  # the pool's first connection
    before = _connections_received(client)
    for _ in range(20):
        run_ticket_hooks.enqueue(change.as_task_args())
    # Other clients of this Redis (a parallel test run) may connect meanwhile, but not
    # twenty times within these few milliseconds; one connection per task did.
    assert _connections_received(client) - before < 5
