"""Vendors through the API: the contact address is checked and stored as every other
address is (core.emails), and the creation is audited."""

from deskline.accounts.models import AuditEntry
from deskline.routing.models import Vendor


def test_a_vendor_contact_in_unicode_is_taken_normalized_and_audited(it_desk, agent_on, api_for):
    supervisor = agent_on(it_desk, role="supervisor")
    response = api_for(supervisor).post(
        "/vendors",
        {"desk": "it", "name": "Bücher Netz", "contact_email": "NOC@XN--BCHER-KVA.example"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["contact_email"] == "noc@bücher.example"
    assert Vendor.objects.get().contact_email == "noc@bücher.example"
    entry = AuditEntry.objects.get(action="vendor.created")
    assert entry.actor == supervisor and entry.data["contact_email"] == "noc@bücher.example"


def test_a_broken_vendor_contact_is_a_422_naming_the_field(it_desk, agent_on, api_for):
    api = api_for(agent_on(it_desk, role="supervisor"))
    response = api.post("/vendors", {"desk": "it", "name": "X", "contact_email": "no@"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_email"
    assert not Vendor.objects.exists()
