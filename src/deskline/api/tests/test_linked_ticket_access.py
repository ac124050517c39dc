"""Links and merges name other tickets: a viewer learns nothing of those they may not see.

An admin may link tickets of two desks, and an agent may link or merge two requesters'
tickets; the other desk's agents and the other requesters must not read the hidden
ticket's number (nor its subject) from the links, the events or merged_into.
"""

import pytest

from deskline.desks.models import Role
from deskline.tickets.services import link_tickets, merge_tickets, remove_follower


@pytest.fixture
def scene(it_desk, support_desk, agent_on, make_user, make_ticket, admin_user):
    alice, pat = make_user(name="Alice"), make_user(name="Pat")
    employee = make_user(is_employee=True)
    own = make_ticket(support_desk, alice, subject="Alice's invoice")
    other = make_ticket(support_desk, pat, subject="Pat's secret invoice")
    internal = make_ticket(it_desk, employee, subject="Payroll server down")
    agent = agent_on(support_desk, Role.AGENT)
    link_tickets(own, internal, "related", actor=admin_user)  # across desks: admins may
    link_tickets(own, other, "duplicate", actor=agent)
    return {"alice": alice, "agent": agent, "own": own, "other": other, "internal": internal}


def _numbers(items: list[dict]) -> set[str]:
    return {n for item in items for n in (item["source"], item["target"])}


def test_links_to_hidden_tickets_are_left_out(scene, api_for, admin_user):
    own, other, internal = scene["own"], scene["other"], scene["internal"]
    path = f"/tickets/{own.pk}/links"
    assert _numbers(api_for(admin_user).get(path).json()) == {
        own.number,
        other.number,
        internal.number,
    }
    # The support agent sees both support tickets, not the IT one.
    agent_links = api_for(scene["agent"]).get(path)
    assert agent_links.status_code == 200
    assert _numbers(agent_links.json()) == {own.number, other.number}
    # Alice sees neither Pat's ticket nor the IT one.
    alice_links = api_for(scene["alice"]).get(path)
    assert alice_links.status_code == 200
    assert alice_links.json() == []


def test_link_events_do_not_name_hidden_tickets(scene, api_for):
    own, other, internal = scene["own"], scene["other"], scene["internal"]
    response = api_for(scene["agent"]).get(f"/tickets/{own.pk}/events")
    linked = [e["after"] for e in response.json() if e["kind"] == "linked"]
    assert sorted(linked, key=str) == sorted([other.number, None], key=str)
    assert internal.number not in response.content.decode()


def test_a_merge_does_not_name_a_ticket_the_viewer_may_not_see(
    support_desk, agent_on, make_user, make_ticket, api_for
):
    """Pat's request merged into Alice's: Pat follows Alice's ticket until an agent takes
    him off it; then neither sees the other's ticket number."""
    alice, pat = make_user(name="Alice"), make_user(name="Pat")
    agent = agent_on(support_desk, Role.AGENT)
    target = make_ticket(support_desk, alice, subject="Alice's invoice")
    source = make_ticket(support_desk, pat, subject="Pat's invoice")
    merge_tickets(source, target, actor=agent)
    remove_follower(target, pat, actor=agent)

    pats = api_for(pat)
    shown = pats.get(f"/tickets/{source.pk}")
    assert shown.status_code == 200
    assert shown.json()["merged_into"] is None
    events = pats.get(f"/tickets/{source.pk}/events").json()
    assert [e["after"] for e in events if e["kind"] == "merged_into"] == [None]
    assert target.number not in pats.get(f"/tickets/{source.pk}/events").content.decode()
    listed = pats.get("/tickets").json()["items"]
    assert [(t["number"], t["merged_into"]) for t in listed] == [(source.number, None)]

    alices = api_for(alice)
    events = alices.get(f"/tickets/{target.pk}/events").json()
    assert [e["after"] for e in events if e["kind"] == "merged_from"] == [None]
    # The desk's agents see both.
    assert api_for(agent).get(f"/tickets/{source.pk}").json()["merged_into"] == target.number
