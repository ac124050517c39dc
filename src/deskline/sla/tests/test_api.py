"""The SLA and routing endpoints: who may do what, and clear 422s for bad input."""

from deskline.desks.services import create_team
from deskline.routing.models import AgentProfile, VendorCase
from deskline.sla.models import Calendar, CalendarHoliday, SlaPolicy
from deskline.tickets.models import TicketEvent, TicketFollower

WEEK = {"mon": [["09:00", "17:00"]]}
ICAL = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\n"
    "SUMMARY:Closed\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_calendars_are_checked_and_only_admins_make_them(admin_user, it_desk, agent_on, api_for):
    admin = api_for(admin_user)
    for body, field in [
        ({"name": "a", "hours": {"mon": [["17:00", "09:00"]]}}, "hours"),
        ({"name": "a", "hours": WEEK, "time_zone": "Mars/Base"}, "time_zone"),
        ({"name": "a", "hours": WEEK, "country": "ZZ"}, "country"),
        ({"name": "a", "hours": WEEK, "colour": "red"}, "colour"),
    ]:
        response = admin.post("/sla/calendars", body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    assert not Calendar.objects.exists()
    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    assert supervisor.post("/sla/calendars", {"name": "a", "hours": WEEK}).status_code == 403
    created = admin.post("/sla/calendars", {"name": "Paris", "hours": WEEK, "country": "fr"})
    assert created.status_code == 201 and created.json()["country"] == "FR"
    calendar_id = created.json()["id"]
    bad = admin.post(f"/sla/calendars/{calendar_id}/holidays", {"ical": "nonsense"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ical"
    added = admin.post(
        f"/sla/calendars/{calendar_id}/holidays",
        {"ical": ICAL, "dates": [{"date": "2026-12-31", "name": "Eve"}]},
    )
    assert added.status_code == 200
    assert added.json()["holidays"] == ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31"]
    assert CalendarHoliday.objects.filter(source="ical").count() == 3


def test_policies_belong_to_desk_supervisors(it_desk, agent_on, api_for):
    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    agent = api_for(agent_on(it_desk))
    body = {"desk": "it", "name": "Std", "first_response_minutes": 60}
    assert agent.post("/sla/policies", body).status_code == 403
    for extra, field in [
        ({"breach_actions": ["explode"]}, "breach_actions"),
        ({"priorities": ["whenever"]}, "priorities"),
        ({"first_response_minutes": None}, "first_response_minutes"),
        ({"calendar": 999}, "calendar"),
    ]:
        response = supervisor.post("/sla/policies", {**body, **extra})
        assert response.status_code == 422, extra
        assert response.json()["errors"][0]["field"] == field
    assert supervisor.post("/sla/policies", body).status_code == 201
    assert [p["name"] for p in supervisor.get("/sla/policies", {"desk": "it"}).json()] == ["Std"]
    assert SlaPolicy.objects.count() == 1


def test_agents_set_their_own_availability(it_desk, agent_on, api_for):
    me, other = agent_on(it_desk), agent_on(it_desk)
    api = api_for(me)
    response = api.put(
        f"/agents/{me.pk}/availability", {"status": "away", "capacity": 5, "skills": ["VPN"]}
    )
    assert response.status_code == 200 and response.json()["skills"] == ["vpn"]
    assert api.put(f"/agents/{other.pk}/availability", {"status": "away"}).status_code == 403
    bad = api.put(f"/agents/{me.pk}/availability", {"status": "asleep"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    assert AgentProfile.objects.get(user=me).status == "away"
    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    assert supervisor.put(f"/agents/{other.pk}/availability", {"capacity": 3}).status_code == 200


def test_escalating_to_a_vendor_keeps_their_reference_and_thread(
    it_desk, agent_on, api_for, make_user, make_ticket
):
    create_team(it_desk, name="L1", slug="l1", tier=1)
    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    vendor = supervisor.post(
        "/vendors", {"desk": "it", "name": "Acme Networks", "contact_email": "noc@acme.test"}
    )
    assert vendor.status_code == 201
    ticket = make_ticket(it_desk, make_user())
    agent = api_for(agent_on(it_desk))
    needs_vendor = agent.post(f"/tickets/{ticket.pk}/escalate", {"reason": "x", "tier": 4})
    assert needs_vendor.status_code == 422
    assert needs_vendor.json()["errors"][0]["field"] == "vendor"
    moved = agent.post(
        f"/tickets/{ticket.pk}/escalate",
        {"reason": "Firmware bug", "tier": 4, "vendor": "Acme Networks", "reference": "AC-1"},
    )
    assert moved.status_code == 200 and moved.json()["tier"] == 4
    assert VendorCase.objects.get(ticket=ticket).reference == "AC-1"
    assert TicketFollower.objects.filter(ticket=ticket, user__email="noc@acme.test").exists()
    assert (
        agent.put(f"/tickets/{ticket.pk}/vendor-reference", {"reference": "AC-2"}).status_code
        == 204
    )
    event = TicketEvent.objects.get(ticket=ticket, field="vendor_reference")
    assert (event.before, event.after) == ("AC-1", "AC-2")
    down = agent.post(f"/tickets/{ticket.pk}/deescalate", {"reason": "Fixed upstream"})
    assert down.status_code == 200 and down.json()["tier"] == 1
    assert VendorCase.objects.get(ticket=ticket).closed_at is not None
    requester = api_for(ticket.requester)
    assert requester.post(f"/tickets/{ticket.pk}/escalate", {"reason": "hurry"}).status_code == 403
    bad_sla = agent.get("/tickets", {"sla": "late-ish"})
    assert bad_sla.status_code == 422 and bad_sla.json()["errors"][0]["field"] == "sla"
