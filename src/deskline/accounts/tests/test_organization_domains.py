"""A first-time requester joins the organization that owns their mail domain."""

import pytest

from deskline.accounts.models import Organization
from deskline.accounts.services import get_or_create_requester, organization_for_email

pytestmark = pytest.mark.django_db


def test_domain_picks_its_organization_and_only_whole_domains_match():
    acme = Organization.objects.create(name="Acme", domains=["Acme.test", "acme-labs.test"])
    Organization.objects.create(name="Other", domains=["other.test"])
    Organization.objects.create(name="No domains", domains=[])
    assert organization_for_email("ana@acme.test") == acme
    assert organization_for_email("lab@acme-labs.test") == acme
    # A suffix or a part of a listed domain is not the domain.
    assert organization_for_email("eve@cme.test") is None
    assert organization_for_email("eve@mail.acme.test") is None
    assert organization_for_email("nobody") is None


def test_unicode_domain_is_found():
    shop = Organization.objects.create(name="商店", domains=["例子.中国"])
    assert organization_for_email("li@例子.中国") == shop


def test_new_requester_gets_the_organization():
    acme = Organization.objects.create(name="Acme", domains=["acme.test"])
    user = get_or_create_requester("New.Person@ACME.test", "New Person")
    assert user.organization == acme


def _field_errors(response) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize(
    "bad",
    [
        "not a domain",
        "*.com",
        "*.acme.test",
        "com",
        "acme..test",
        "-acme.test",
        "acme-.test",
        "acme_corp.test",
        "192.168.0.1",
        "xn--zz.test",
        "a" * 64 + ".test",
        "ana@acme.test",
    ],
)
def test_a_domain_that_is_no_host_name_is_refused_naming_the_field(admin_user, api_for, bad):
    admin = api_for(admin_user)
    created = admin.post("/organizations", {"name": "Acme", "domains": ["acme.test", bad]})
    assert created.status_code == 422, created.content
    assert _field_errors(created) == ["domains"]
    assert bad in created.json()["detail"]
    assert not Organization.objects.exists()
    org = Organization.objects.create(name="Acme", domains=["acme.test"])
    changed = admin.patch(f"/organizations/{org.pk}", {"domains": [bad]})
    assert changed.status_code == 422, changed.content
    assert _field_errors(changed) == ["domains"]
    org.refresh_from_db()
    assert org.domains == ["acme.test"]


@pytest.mark.parametrize("free", ["gmail.com", "GMail.com", "outlook.com", "qq.com", "163.com"])
def test_a_free_mail_providers_domain_is_refused(admin_user, api_for, free):
    """Everyone may have an address there: as an organization's domain, every one of
    them would join it (and read each other's requests where it shares tickets)."""
    response = api_for(admin_user).post("/organizations", {"name": "Acme", "domains": [free]})
    assert response.status_code == 422, response.content
    assert _field_errors(response) == ["domains"]
    assert "free mail" in response.json()["detail"]


def test_domains_are_stored_lowercase_in_ascii_and_still_match(admin_user, api_for):
    admin = api_for(admin_user)
    response = admin.post(
        "/organizations",
        {"name": "Shops", "domains": ["@Acme.TEST", "Bücher.Example.", "例子.中国", "acme.test"]},
    )
    assert response.status_code == 201, response.content
    stored = ["acme.test", "xn--bcher-kva.example", "xn--fsqu00a.xn--fiqs8s"]
    assert response.json()["domains"] == stored
    shops = Organization.objects.get()
    assert shops.domains == stored
    # Addresses match whichever way their domain is written.
    for email in ("li@例子.中国", "ana@BÜCHER.example", "bo@xn--bcher-kva.example", "x@acme.test"):
        assert organization_for_email(email.lower()) == shops, email
