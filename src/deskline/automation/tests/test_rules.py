from datetime import timedelta

import pytest
from django.utils import timezone

from deskline.automation.models import ScheduledRuleRun
from deskline.automation.services.rules import run_rules
from deskline.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed(it_address, smtp_sink, monkeypatch):
    """Reminders go out through the real SMTP server. Rule time is simulated while the
    loop caps count real minutes: lifted here, so a test sees the rules' own once-only."""
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "100")
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_ADDRESS", "100")
    return smtp_sink


REMIND = {
    "desk": "it",
    "name": "remind after 3 days pending",
    "status": "pending",
    "hours": 72,
    "actions": [
        {
            "type": "send_mail",
            "to": "requester",
            "subject": "Still need help, {{requester.name}}?",
            "body": "We are waiting for your answer on {{ticket.number}}.",
        }
    ],
}
SOLVE = {
    "desk": "it",
    "name": "solve after 7 days pending",
    "status": "pending",
    "hours": 168,
    "position": 1,
    "actions": [{"type": "set", "field": "status", "value": "solved"}],
}


def _pending_ticket(api, hooks) -> Ticket:
    with hooks():
        created = api.post(
            "/tickets",
            {
                "desk": "it",
                "subject": "Laptop slow",
                "requester": {"email": "sam@example.com"},
                "message": {"body_text": "Very slow."},
            },
        ).json()
        api.patch(f"/tickets/{created['id']}", {"status": "pending"})
    return Ticket.objects.get(pk=created["id"])


def test_pending_3_days_reminds_7_days_solves_each_once(
    api_for, desk_setup, hooks, immediate_tasks, mailed
):
    admin = api_for(desk_setup["admin"])
    remind = admin.post("/scheduled-rules", REMIND)
    assert remind.status_code == 201, remind.content
    solve = admin.post("/scheduled-rules", SOLVE).json()
    ticket = _pending_ticket(admin, hooks)
    other = _pending_ticket(admin, hooks)
    start = timezone.now()

    day3 = start + timedelta(days=3, minutes=1)
    dry = admin.post(
        f"/scheduled-rules/{remind.json()['id']}/dry-run",
        {"ticket": ticket.number, "at": day3.isoformat()},
    ).json()
    assert dry["would_act"] is True
    assert dry["actions"][0] == {
        "type": "send_mail",
        "to": ["sam@example.com"],
        "subject": "Still need help, {{requester.name}}?",
    }
    early = admin.post(
        f"/scheduled-rules/{remind.json()['id']}/dry-run",
        {"ticket": ticket.number, "at": (start + timedelta(days=2)).isoformat()},
    ).json()
    assert early["would_act"] is False

    with hooks():
        assert sum(run_rules(start + timedelta(days=2)).values()) == 0
    assert mailed.messages() == []
    # The other ticket hears from the requester on day 2: its stay in pending ends.
    with hooks():
        api_for(desk_setup["requester"]).post(
            f"/tickets/{other.pk}/messages", {"body_text": "here you go"}
        )
    for moment in (day3, day3, start + timedelta(days=5)):
        with hooks():
            run_rules(moment)
    (sent,) = mailed.messages()
    assert sent["To"] == "sam@example.com"
    assert sent["Subject"] == f"[{ticket.number}] Still need help, Sam?"
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["From"].addresses[0].addr_spec == "it@desk.test"
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"

    day7 = start + timedelta(days=7, minutes=1)
    for moment in (day7, day7 + timedelta(hours=1)):
        with hooks():
            run_rules(moment)
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    assert Ticket.objects.get(pk=other.pk).status == "open"
    assert len(mailed.messages()) == 1
    runs = ScheduledRuleRun.objects.filter(ticket=ticket)
    assert sorted(r.rule.name for r in runs) == sorted([REMIND["name"], SOLVE["name"]])
    assert TicketEvent.objects.filter(ticket=ticket, kind="rule_applied").count() == 2
    assert not ScheduledRuleRun.objects.filter(ticket=other).exists()
    assert solve["status"] == "pending"


def test_a_new_stay_in_the_status_is_counted_afresh(
    api_for, desk_setup, hooks, immediate_tasks, mailed
):
    admin = api_for(desk_setup["admin"])
    admin.post("/scheduled-rules", REMIND)
    ticket = _pending_ticket(admin, hooks)
    start = timezone.now()
    for _ in range(2):
        with hooks():
            run_rules(start + timedelta(days=4))
    assert len(mailed.messages()) == 1
    # The requester answers, the agent asks again: a new stay in pending begins now.
    with hooks():
        api_for(desk_setup["requester"]).post(f"/tickets/{ticket.pk}/messages", {"body_text": "?"})
        admin.patch(f"/tickets/{ticket.pk}", {"status": "pending"})
    with hooks():
        run_rules(start + timedelta(days=1))
    assert len(mailed.messages()) == 1
    for days in (4, 5):
        with hooks():
            run_rules(start + timedelta(days=days))
    assert len(mailed.messages()) == 2


def test_solved_five_days_closes(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    response = admin.post(
        "/scheduled-rules",
        {
            "desk": "it",
            "name": "close solved",
            "status": "solved",
            "hours": 120,
            "actions": [{"type": "set", "field": "status", "value": "closed"}],
        },
    )
    assert response.status_code == 201, response.content
    ticket = _pending_ticket(admin, hooks)
    with hooks():
        admin.patch(f"/tickets/{ticket.pk}", {"status": "solved"})
    with hooks():
        run_rules(timezone.now() + timedelta(days=4))
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    with hooks():
        run_rules(timezone.now() + timedelta(days=5, minutes=1))
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"status": "sleeping"}, "status"),
        ({"hours": 0}, "hours"),
        ({"actions": [{"type": "set", "field": "priority", "value": "meh"}]}, "actions.0.value"),
        (
            {"conditions": {"all": [{"field": "tier", "op": "gt", "value": 9}]}},
            "conditions.all.0.value",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_field(api_for, desk_setup, change, field):
    response = api_for(desk_setup["admin"]).post("/scheduled-rules", {**REMIND, **change})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_mail_naming_a_longer_ticket_number_still_gets_its_own(
    api_for, desk_setup, hooks, immediate_tasks, mailed
):
    # IT-1's number is a substring of "[IT-10]": only the exact tag counts as present,
    # else the requester's answer would thread to the other ticket.
    admin = api_for(desk_setup["admin"])
    action = {**REMIND["actions"][0], "subject": "Merged into [{{ticket.number}}0]"}
    admin.post("/scheduled-rules", {**REMIND, "actions": [action]})
    ticket = _pending_ticket(admin, hooks)
    with hooks():
        run_rules(timezone.now() + timedelta(days=4))
    subjects = [m["Subject"] for m in mailed.messages()]
    assert subjects == [f"[{ticket.number}] Merged into [{ticket.number}0]"]
