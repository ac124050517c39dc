from typing import Any

import pytest

from deskline.automation.models import TriggerRun
from deskline.automation.services import fire
from deskline.notifications.models import Notification
from deskline.tickets.models import Ticket, TicketEvent
from deskline.tickets.services import update_ticket
from deskline.tickets.services.tags import ticket_tag_names

pytestmark = pytest.mark.django_db

VIP_TRIGGER = {
    "desk": "it",
    "name": "VIP urgent to L2",
    "events": ["ticket_created", "ticket_updated"],
    "conditions": {
        "all": [
            {"field": "organization", "op": "is", "value": "VIP Corp"},
            {"field": "priority", "op": "is", "value": "urgent"},
            {"field": "team", "op": "is_not", "value": "l2"},
        ]
    },
    "actions": [
        {"type": "assign", "team": "l2"},
        {"type": "escalate", "tier": 2},
        {"type": "notify", "to": "supervisors", "text": "VIP urgent {{ticket.number}}"},
    ],
}


def _new_ticket(api: Any, requester: str, **extra: Any) -> dict:
    body = {
        "desk": "it",
        "subject": "Mail server down",
        "requester": {"email": requester},
        "message": {"body_text": "Nobody gets mail."},
        **extra,
    }
    response = api.post("/tickets", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_vip_urgent_trigger_built_dry_run_then_fires_once(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    # A ticket from before the trigger existed, to try the trigger on.
    with hooks():
        old = _new_ticket(admin, "boss@vip.test", priority="urgent")
    created = admin.post("/triggers", VIP_TRIGGER)
    assert created.status_code == 201, created.content
    trigger = created.json()

    dry = admin.post(f"/triggers/{trigger['id']}/dry-run", {"ticket": old["number"]}).json()
    assert dry["would_fire"] is True
    update = next(a for a in dry["actions"] if a["type"] == "update")
    assert update["changes"]["team"] == {"before": None, "after": "l2"}
    assert update["changes"]["tier"] == {"before": 1, "after": 2}
    assert {"type": "notify", "to": ["sue@example.com"]} in dry["actions"]
    # The dry run changed nothing.
    assert Ticket.objects.get(pk=old["id"]).team_id is None
    assert not TriggerRun.objects.exists() and not Notification.objects.exists()

    with hooks():
        normal = _new_ticket(admin, "sam@example.com", priority="urgent")
        vip = _new_ticket(admin, "boss@vip.test", priority="urgent")
    ticket = Ticket.objects.get(pk=vip["id"])
    assert ticket.team.slug == "l2" and ticket.tier == 2
    assert Ticket.objects.get(pk=normal["id"]).team_id is None
    runs = TriggerRun.objects.filter(trigger_id=trigger["id"])
    assert [r.ticket_id for r in runs] == [ticket.pk]
    assert runs[0].outcome == "applied" and runs[0].event == "ticket_created"
    notices = Notification.objects.filter(user=desk_setup["supervisor"])
    assert [n.text for n in notices] == [f"VIP urgent {ticket.number}"]
    fired = TicketEvent.objects.get(ticket=ticket, kind="trigger_fired")
    assert fired.after["trigger"] == trigger["id"]

    # Later changes of the ticket do not fire it again: it is with L2 now.
    with hooks():
        assert admin.patch(f"/tickets/{ticket.pk}", {"add_tags": ["mail"]}).status_code == 200
    assert runs.count() == 1
    assert Notification.objects.filter(user=desk_setup["supervisor"]).count() == 1


def test_dry_run_reports_each_condition_for_a_ticket_that_does_not_match(api_for, desk_setup):
    admin = api_for(desk_setup["admin"])
    ticket = _new_ticket(admin, "boss@vip.test", priority="low")
    trigger = admin.post("/triggers", VIP_TRIGGER).json()
    dry = admin.post(f"/triggers/{trigger['id']}/dry-run", {"ticket": ticket["number"]}).json()
    assert dry["matched"] is False and dry["actions"] == []
    by_field = {c["field"]: c for c in dry["conditions"]}
    assert by_field["organization"]["result"] is True
    assert by_field["priority"] == {**by_field["priority"], "actual": "low", "result": False}


def test_ping_pong_triggers_each_fire_once_per_change(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    for name, when, then in (("up", "high", "urgent"), ("down", "urgent", "high")):
        response = admin.post(
            "/triggers",
            {
                "desk": "it",
                "name": name,
                "events": ["ticket_updated"],
                "conditions": {"all": [{"field": "priority", "op": "is", "value": when}]},
                "actions": [{"type": "set", "field": "priority", "value": then}],
            },
        )
        assert response.status_code == 201, response.content
    ticket = _new_ticket(admin, "sam@example.com", priority="low")
    with hooks():
        admin.patch(f"/tickets/{ticket['id']}", {"priority": "high"})
    runs = TriggerRun.objects.filter(ticket_id=ticket["id"]).order_by("id")
    # "down" sees the ticket as "up" left it; the changes they cause fire neither again.
    assert [(r.trigger.name, r.depth) for r in runs] == [("up", 0), ("down", 0)]
    assert len({r.chain for r in runs}) == 1
    assert Ticket.objects.get(pk=ticket["id"]).priority == "high"
    # A new outside change starts a new chain: both may fire again, once each.
    with hooks():
        admin.patch(f"/tickets/{ticket['id']}", {"priority": "urgent"})
    assert [(r.trigger.name, r.depth) for r in runs.all()][2:] == [("down", 0), ("up", 1)]
    assert Ticket.objects.get(pk=ticket["id"]).priority == "urgent"


def test_chain_stops_at_max_depth(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    for i in range(8):
        admin.post(
            "/triggers",
            {
                "desk": "it",
                "name": f"step {i}",
                # Reverse order: each step is woken by the previous step's change, one
                # level deeper, instead of seeing it within the same pass.
                "position": 10 - i,
                "events": ["ticket_updated"],
                "conditions": {"all": [{"field": "tags", "op": "contains", "value": f"t{i}"}]},
                "actions": [{"type": "add_tags", "tags": [f"t{i + 1}"]}],
            },
        )
    ticket = _new_ticket(admin, "sam@example.com")
    with hooks():
        admin.patch(f"/tickets/{ticket['id']}", {"add_tags": ["t0"]})
    tags = ticket_tag_names(Ticket.objects.get(pk=ticket["id"]))
    assert tags == [f"t{i}" for i in range(7)]  # depths 0..5 fired, the 6th stopped
    assert TriggerRun.objects.filter(ticket_id=ticket["id"]).count() == 6


def test_requester_reply_with_words_adds_a_note_and_tag(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    admin.post(
        "/triggers",
        {
            "desk": "it",
            "name": "refunds",
            "events": ["message_added_by_requester"],
            "conditions": {"all": [{"field": "message.body", "op": "contains", "value": "REFUND"}]},
            "actions": [
                {"type": "add_tags", "tags": ["refund"]},
                {"type": "add_note", "body": "{{requester.name}} asks for a refund"},
            ],
        },
    )
    ticket = _new_ticket(admin, "sam@example.com")
    requester = api_for(desk_setup["requester"])
    agent = api_for(desk_setup["agent"])
    with hooks():
        agent.post(f"/tickets/{ticket['id']}/messages", {"body_text": "a refund? no."})
    assert ticket_tag_names(Ticket.objects.get(pk=ticket["id"])) == []
    with hooks():
        response = requester.post(f"/tickets/{ticket['id']}/messages", {"body_text": "Refund pls"})
        assert response.status_code == 201, response.content
    stored = Ticket.objects.get(pk=ticket["id"])
    assert ticket_tag_names(stored) == ["refund"]
    note = stored.messages.filter(internal=True).get()
    assert note.body_text == "Sam asks for a refund" and note.author is None


def test_sla_breach_fired_by_another_app_escalates(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    admin.post(
        "/triggers",
        {
            "desk": "it",
            "name": "breach escalates",
            "events": ["sla_breach"],
            "actions": [{"type": "escalate"}],
        },
    )
    ticket = _new_ticket(admin, "sam@example.com")
    with hooks():
        fire("sla_warning", ticket["id"])
    assert Ticket.objects.get(pk=ticket["id"]).tier == 1
    with hooks():
        fire("sla_breach", ticket["id"], data={"metric": "first_response"})
    assert Ticket.objects.get(pk=ticket["id"]).tier == 2
    with pytest.raises(ValueError):
        fire("nonsense", ticket["id"])


def test_failing_action_is_recorded_and_changes_nothing(api_for, desk_setup, hooks):
    admin = api_for(desk_setup["admin"])
    trigger = admin.post(
        "/triggers",
        {
            "desk": "it",
            "name": "to l2",
            "events": ["ticket_updated"],
            "actions": [
                {"type": "add_tags", "tags": ["seen"]},
                {"type": "assign", "assignee": "lee@example.com"},
            ],
        },
    ).json()
    ticket = _new_ticket(admin, "sam@example.com")
    desk_setup["l2_agent"].desk_memberships.all().delete()  # Lee left the desk since
    with hooks():
        update_ticket(Ticket.objects.get(pk=ticket["id"]), actor=None, changes={"priority": "high"})
    run = TriggerRun.objects.get(trigger_id=trigger["id"])
    assert run.outcome == "failed" and "not an agent" in run.error
    assert ticket_tag_names(Ticket.objects.get(pk=ticket["id"])) == []
    assert TicketEvent.objects.filter(ticket_id=ticket["id"], kind="trigger_fired").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"events": ["nope"]}, "events.0"),
        (
            {"conditions": {"all": [{"field": "priority", "op": "gt", "value": "huge"}]}},
            "conditions.all.0.value",
        ),
        (
            {"conditions": {"all": [{"field": "subject", "op": "gt", "value": "x"}]}},
            "conditions.all.0.op",
        ),
        (
            {"conditions": {"all": [{"field": "team", "op": "is", "value": "ghosts"}]}},
            "conditions.all.0.value",
        ),
        (
            {"conditions": {"any": [{"field": "color", "op": "is", "value": "x"}]}},
            "conditions.any.0.field",
        ),
        ({"actions": [{"type": "assign", "team": "ghosts"}]}, "actions.0.team"),
        (
            {"actions": [{"type": "notify", "to": "team", "text": "{{ticket.secret}}"}]},
            "actions.0.text",
        ),
        (
            {"actions": [{"type": "send_mail", "to": "address", "subject": "s", "body": "b"}]},
            "actions.0.address",
        ),
        ({"actions": [{"type": "launch"}]}, "actions.0.type"),
        ({"actions": []}, "actions"),
    ],
)
def test_bad_definitions_are_refused_naming_the_field(api_for, desk_setup, change, field):
    admin = api_for(desk_setup["admin"])
    body = {**VIP_TRIGGER, **change}
    response = admin.post("/triggers", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_only_desk_managers_see_and_change_triggers(api_for, desk_setup):
    admin = api_for(desk_setup["admin"])
    trigger = admin.post("/triggers", VIP_TRIGGER).json()
    agent = api_for(desk_setup["agent"])
    assert agent.post("/triggers", VIP_TRIGGER).status_code == 403
    assert agent.get(f"/triggers/{trigger['id']}").status_code == 404
    assert agent.get("/triggers").json() == []
    supervisor = api_for(desk_setup["supervisor"])
    response = supervisor.patch(f"/triggers/{trigger['id']}", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_deleting_automation_is_audited(api_for, desk_setup, allow_loopback, receiver):
    """Saving a trigger or a webhook is in the audit log; taking one away (a webhook
    that sent tickets out, say) must be there too, by the API and by the setup pages."""
    from django.test import Client

    from deskline.accounts.models import AuditEntry

    supervisor, admin = desk_setup["supervisor"], desk_setup["admin"]
    api, admin_api = api_for(supervisor), api_for(admin)
    trigger = api.post("/triggers", VIP_TRIGGER).json()
    hook = admin_api.post(  # outbound webhooks are the admins' (test_webhook_admins)
        "/webhooks",
        {"desk": "it", "name": "out", "url": receiver.url, "events": ["ticket_created"]},
    ).json()
    inbound = api.post(
        "/inbound-hooks", {"desk": "it", "name": "alerts", "sender_email": "mon@example.com"}
    ).json()
    assert api.delete(f"/triggers/{trigger['id']}").status_code == 204
    assert admin_api.delete(f"/webhooks/{hook['id']}").status_code == 204
    page = Client()
    page.force_login(supervisor)
    assert page.post(f"/automation/inbound-hooks/{inbound['id']}/delete/").status_code == 302

    deleted = AuditEntry.objects.filter(action__endswith="_deleted").order_by("id")
    assert [(e.action, e.object_id, e.actor_id) for e in deleted] == [
        ("automation.trigger_deleted", str(trigger["id"]), supervisor.pk),
        ("automation.webhook_deleted", str(hook["id"]), admin.pk),
        ("automation.inboundhook_deleted", str(inbound["id"]), supervisor.pk),
    ]
    assert deleted[1].data["url"] == receiver.url


def test_mail_to_an_internationalized_address_is_taken_and_normalized(api_for, desk_setup):
    """A trigger may mail any address the rest of Deskline takes (RFC 6531, IDN)."""
    action = {"type": "send_mail", "to": "address", "subject": "s", "body": "b"}
    body = {**VIP_TRIGGER, "actions": [{**action, "address": "Dienst@XN--BCHER-KVA.example"}]}
    response = api_for(desk_setup["admin"]).post("/triggers", body)
    assert response.status_code == 201, response.content
    assert response.json()["actions"][0]["address"] == "dienst@bücher.example"
    body = {**VIP_TRIGGER, "actions": [{**action, "address": "运维@例子.example"}]}
    assert api_for(desk_setup["admin"]).post("/triggers", body).status_code == 201
