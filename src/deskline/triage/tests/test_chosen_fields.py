"""Triage fills a priority or type nobody chose, and never overwrites one somebody did,
even when it is the default value ("normal", "question")."""

import pytest

from deskline.tickets.models import TicketEvent
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.ml import ClassifierConfig
from deskline.triage.models import Outcome, Prediction
from deskline.triage.services import train_from_tickets
from deskline.triage.tests import shared_data

# Two distinct BANKING77 topics, one urgent and one low (and an incident and a change).
LABELS = {"priority": ("urgent", "low"), "type": ("incident", "change")}


@pytest.fixture
def trained(it_desk, make_user):
    rows = shared_data.banking77(labels=2, per_label=30)
    intents = sorted({y for _, y in rows})
    train, held_out = shared_data.split(rows, held_out=0.2)
    requester = make_user()
    for text, intent in train:
        ticket = open_ticket(desk=it_desk, subject=text[:80], body_text=text, requester=requester)
        changes = {target: labels[intents.index(intent)] for target, labels in LABELS.items()}
        update_ticket(ticket, actor=None, changes={**changes, "status": "solved"})
    for target in LABELS:
        train_from_tickets(it_desk, target, ClassifierConfig(cv_folds=3))
    return [text for text, _ in held_out]


def _open(desk, requester, text, capture, **chosen):
    with capture(execute=True):
        ticket = open_ticket(
            desk=desk, subject=text[:80], body_text=text, requester=requester, **chosen
        )
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(
    ("target", "chosen", "field", "default"),
    [
        ("priority", {"priority": "normal"}, "priority", "normal"),
        ("priority", {"impact": "high", "urgency": "low"}, "priority", "normal"),
        ("priority", {"impact": "medium", "urgency": "medium"}, "priority", "normal"),
        ("type", {"ticket_type": "question"}, "ticket_type", "question"),
    ],
)
def test_a_chosen_default_is_kept_and_an_unchosen_one_is_filled(
    target, chosen, field, default, trained, it_desk, make_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    filled = 0
    for text in trained:
        # Each of another requester: one person's same request would join one ticket.
        unset = _open(it_desk, make_user(), text, capture)
        kept = _open(it_desk, make_user(), text, capture, **chosen)
        assert getattr(kept, field) == default, text
        prediction = Prediction.objects.get(ticket=kept, field=target)
        assert prediction.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
        assert not TicketEvent.objects.filter(ticket=kept, field=target).exists()
        applied = Prediction.objects.get(ticket=unset, field=target)
        if applied.outcome == Outcome.APPLIED:
            # The same text on a ticket nobody set: triage would have written it.
            assert getattr(unset, field) == applied.label != default
            filled += 1
    assert filled >= len(trained) // 2


def test_a_default_an_agent_set_before_triage_ran_is_kept(trained, it_desk, make_user, agent_on):
    from deskline.triage.services import triage_ticket

    agent = agent_on(it_desk)
    kept = 0
    for text in trained:
        ticket = open_ticket(desk=it_desk, subject=text[:80], body_text=text, requester=make_user())
        update_ticket(ticket, actor=agent, changes={"priority": "high"})
        update_ticket(ticket, actor=agent, changes={"priority": "normal"})
        triage_ticket(ticket.pk)
        ticket.refresh_from_db()
        assert ticket.priority == "normal"
        kept += Prediction.objects.get(ticket=ticket, field="priority").outcome == Outcome.SUGGESTED
    assert kept >= len(trained) // 2
