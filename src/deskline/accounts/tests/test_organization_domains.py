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
