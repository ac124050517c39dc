"""Mail from triggers and scheduled rules goes out the mail app's way: the desk's From,
a Message-ID we keep, the ticket's number once, and the bounce and loop rules of
automatic mail, for the ticket's people and any other address alike."""

from typing import Any

import pytest

from deskline.automation.tasks import send_ticket_mail
from deskline.mail.models import AcknowledgementTemplate, Bounce, OutboundMail
from deskline.mail.services.intake import ingest
from deskline.mail.tests.conftest import build_mail
from deskline.tickets.models import Ticket
from deskline.tickets.services import open_ticket

pytestmark = pytest.mark.django_db


def _trigger(admin: Any, events: list[str], *actions: dict, name: str = "mail") -> dict:
    created = admin.post(
        "/triggers",
        {
            "desk": "it",
            "name": name,
            "events": events,
            "conditions": {"all": []},
            "actions": list(actions),
        },
    )
    assert created.status_code == 201, created.content
    return created.json()


def _mail(to: str, subject: str, body: str = "About {{ticket.number}}") -> dict:
    action = {"type": "send_mail", "subject": subject, "body": body}
    if "@" in to:
        return {**action, "to": "address", "address": to}
    return {**action, "to": to}


def _open(desk_setup: dict, hooks: Any, requester: str = "requester") -> Ticket:
    with hooks():
        return open_ticket(
            desk=desk_setup["desk"],
            subject="VPN drops",
            requester=desk_setup[requester],
            body_text="Since Monday.",
            channel="web",
        )


def test_trigger_mail_is_the_desks_tracked_and_numbered_once(
    api_for,
    desk_setup,
    hooks,
    immediate_tasks,
    it_address,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    admin = api_for(desk_setup["admin"])
    _trigger(
        admin,
        ["ticket_created"],
        _mail("requester", "Received: {{ticket.number}}"),
        _mail("oncall@partner.test", "[{{ticket.number}}] paged"),
    )
    ticket = _open(desk_setup, hooks)
    number = ticket.number
    by_to = {m["To"]: m for m in smtp_sink.messages()}
    assert sorted(by_to) == ["oncall@partner.test", "sam@example.com"]
    rows = {r.to: r for r in OutboundMail.objects.filter(ticket=ticket)}
    for to, sent in by_to.items():
        assert sent["From"].addresses[0].addr_spec == "it@desk.test"
        assert sent["From"].addresses[0].display_name == "IT Help"
        assert sent["Message-ID"] == f"<{rows[to].message_id}>"
        assert (rows[to].kind, rows[to].state) == ("auto", "sent")
        assert sent["Auto-Submitted"] == "auto-generated"
        assert sent["Subject"].count(f"[{number}]") == 1
        assert f"About {number}" in sent.get_body(("plain",)).get_content()
    assert by_to["sam@example.com"]["Subject"] == f"[{number}] Received: {number}"
    assert by_to["oncall@partner.test"]["Subject"] == f"[{number}] paged"
    # The requester's copy does not show the Message-ID of the on-call's.
    assert rows["oncall@partner.test"].message_id not in str(by_to["sam@example.com"])

    # An answer naming only our mail (no number in its subject) joins the ticket.
    mine = by_to["sam@example.com"]["Message-ID"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = ingest(build_mail(subject="thanks", in_reply_to=mine, references=mine), "pipe")
    assert answer.ticket_id == ticket.pk


def test_no_automation_mail_to_an_address_that_bounced_hard(
    api_for, desk_setup, hooks, immediate_tasks, it_address, smtp_sink
):
    Bounce.objects.create(address="sam@example.com", hard=True, reason="userunknown")
    Bounce.objects.create(address="gone@partner.test", hard=True, reason="userunknown")
    Bounce.objects.create(address="flaky@partner.test", hard=False, reason="mailboxfull")
    admin = api_for(desk_setup["admin"])
    _trigger(
        admin,
        ["ticket_created"],
        _mail("requester", "Received"),
        _mail("gone@partner.test", "Paged"),
        _mail("flaky@partner.test", "Paged"),
    )
    ticket = _open(desk_setup, hooks)
    assert [m["To"] for m in smtp_sink.messages()] == ["flaky@partner.test"]
    blocked = OutboundMail.objects.filter(ticket=ticket, state="suppressed")
    assert sorted(blocked.values_list("to", flat=True)) == ["gone@partner.test", "sam@example.com"]
    assert {b.last_error for b in blocked} == {"the address bounced permanently"}


def test_a_mail_to_a_team_counts_once_against_the_ticket_cap(
    api_for, desk_setup, hooks, immediate_tasks, it_address, smtp_sink, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "1")
    admin = api_for(desk_setup["admin"])
    _trigger(
        admin,
        ["ticket_created"],
        _mail("oncall@partner.test", "Paged"),
        _mail("backup@partner.test", "Paged"),
    )
    _trigger(admin, ["ticket_updated"], _mail("requester", "Updated"), name="update")
    ticket = _open(desk_setup, hooks)
    # Each gets a copy of their own: one mail of the trigger, not two.
    assert sorted(m["To"] for m in smtp_sink.messages()) == [
        "backup@partner.test",
        "oncall@partner.test",
    ]
    paged = OutboundMail.objects.filter(ticket=ticket, to__endswith="@partner.test")
    assert paged.values("batch").distinct().count() == 1
    # That one mail is the ticket's allowance for the hour: the update trigger's is held.
    with hooks():
        admin.patch(f"/tickets/{ticket.pk}", {"priority": "high"})
    assert len(smtp_sink.messages()) == 2
    held = OutboundMail.objects.get(ticket=ticket, to="sam@example.com")
    assert (held.state, held.last_error) == (
        "suppressed",
        "too many automatic mails on this ticket in the window",
    )


def test_the_desks_own_agents_get_every_trigger_mail(
    api_for, desk_setup, hooks, immediate_tasks, it_address, smtp_sink, monkeypatch
):
    """The caps stop a loop with someone else's robot. The desk's agents are told of
    each new ticket and change however many automatic mails the requester already had,
    and their copies take nothing from the requester's allowance."""
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "1")
    desk_setup["l2"].members.add(desk_setup["agent"])
    admin = api_for(desk_setup["admin"])
    _trigger(
        admin, ["ticket_created"], {"type": "assign", "team": "l2"}, _mail("team", "New for L2")
    )
    _trigger(admin, ["ticket_updated"], _mail("team", "Changed"), name="team-update")
    _trigger(admin, ["ticket_updated"], _mail("requester", "Updated"), name="update")
    ticket = _open(desk_setup, hooks)
    for _ in range(4):  # more than the per-address cap of 3, too
        with hooks():
            admin.patch(f"/tickets/{ticket.pk}", {"priority": "high"})
            admin.patch(f"/tickets/{ticket.pk}", {"priority": "low"})
    to_agents = OutboundMail.objects.filter(ticket=ticket, to="lee@example.com")
    assert to_agents.count() > 3
    assert set(to_agents.values_list("state", flat=True)) == {"sent"}
    to_requester = OutboundMail.objects.filter(ticket=ticket, to="sam@example.com")
    assert list(to_requester.order_by("id").values_list("state", flat=True))[:2] == [
        "sent",
        "suppressed",
    ]
    received = [m["To"] for m in smtp_sink.messages()]
    assert received.count("sam@example.com") == 1
    assert received.count("lee@example.com") == to_agents.count()


def test_the_caps_stop_a_mail_storm_with_an_autoresponder(
    api_for,
    desk_setup,
    hooks,
    immediate_tasks,
    it_address,
    smtp_sink,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """A requester's robot answers every mail without saying it is a robot; a trigger
    answers every reply: the two would write to each other for ever."""
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "2")
    AcknowledgementTemplate.objects.create(desk=it_address.desk, language="en", enabled=False)
    admin = api_for(desk_setup["admin"])
    _trigger(admin, ["message_added_by_requester"], _mail("requester", "Got your reply"))
    with django_capture_on_commit_callbacks(execute=True):
        opened = ingest(build_mail(subject="Printer", message_id="<start@robot>"), "pipe")
    last = "<start@robot>"
    for n in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            answer = ingest(
                build_mail(subject="Re: your mail", in_reply_to=last, message_id=f"<r{n}@robot>"),
                "pipe",
            )
        assert answer.ticket_id == opened.ticket_id
        sent = smtp_sink.messages()
        last = sent[-1]["Message-ID"] if sent else last
    assert len(smtp_sink.messages()) == 2
    rows = OutboundMail.objects.filter(ticket_id=opened.ticket_id, kind="auto")
    states = list(rows.order_by("id").values_list("state", flat=True))
    assert states == ["sent"] * 2 + ["suppressed"] * 4
    assert (
        rows.filter(state="suppressed").first().last_error.endswith("on this ticket in the window")
    )


def test_the_per_address_cap_holds_across_tickets(
    api_for, desk_setup, hooks, immediate_tasks, it_address, smtp_sink
):
    admin = api_for(desk_setup["admin"])
    _trigger(admin, ["ticket_created"], _mail("oncall@partner.test", "New ticket"))
    for _ in range(5):
        _open(desk_setup, hooks)
    assert len(smtp_sink.messages()) == 3  # DESKLINE_MAIL_AUTO_LIMIT_ADDRESS
    held = OutboundMail.objects.filter(state="suppressed")
    assert held.count() == 2 and "to this address" in held.first().last_error


def test_a_mail_task_queued_before_the_change_still_goes_out_the_mail_apps_way(
    desk_setup, hooks, immediate_tasks, it_address, smtp_sink, django_capture_on_commit_callbacks
):
    ticket = _open(desk_setup, hooks)
    with django_capture_on_commit_callbacks(execute=True):
        send_ticket_mail.enqueue(ticket.pk, ["Vendor@Partner.test"], "Parts ordered", "Soon.")
    (sent,) = smtp_sink.messages()
    row = OutboundMail.objects.get(ticket=ticket)
    assert (row.kind, row.state, row.to) == ("auto", "sent", "vendor@partner.test")
    assert sent["Message-ID"] == f"<{row.message_id}>"
    assert sent["Subject"] == f"[{ticket.number}] Parts ordered"
    assert sent["From"].addresses[0].addr_spec == "it@desk.test"


def test_no_desk_address_no_mail_and_nothing_recorded(
    api_for, desk_setup, hooks, immediate_tasks, smtp_sink
):
    admin = api_for(desk_setup["admin"])
    _trigger(admin, ["ticket_created"], _mail("requester", "Received"))
    _open(desk_setup, hooks)
    assert smtp_sink.messages() == [] and not OutboundMail.objects.exists()
