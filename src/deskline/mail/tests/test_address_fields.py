"""The mail app's address fields take what the rest of Deskline takes (core.emails:
RFC 6531 Unicode local parts, IDN domains in either form), so the Django admin's forms
and full_clean() do not refuse a desk address or a bounce that mail intake accepts."""

import pytest
from django.test import Client

from deskline.mail.models import Bounce, DeskAddress, OutboundMail

ACCEPTED = [
    ("Hilfe@Bücher.example", "hilfe@bücher.example"),
    ("支持@例子.广告", "支持@例子.广告"),
    ("Jörg@XN--BCHER-KVA.example", "jörg@bücher.example"),
]

# The admin's split date and time widget, as the browser sends its initial value.
CREATED = {"created_at_0": "2026-12-07", "created_at_1": "12:00:00"}


@pytest.fixture
def admin_page(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_the_admin_adds_a_desk_address_as_intake_would_take_it(admin_page, it_desk, typed, stored):
    response = admin_page.post(
        "/admin/mail/deskaddress/add/",
        {"desk": it_desk.pk, "email": typed, "name": "Help", "primary": "on", **CREATED},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert DeskAddress.objects.get().email == stored


def test_the_admin_still_refuses_a_broken_desk_address(admin_page, it_desk):
    response = admin_page.post(
        "/admin/mail/deskaddress/add/",
        {"desk": it_desk.pk, "email": "hil fe@example.com", **CREATED},
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not DeskAddress.objects.exists()


@pytest.mark.parametrize(("model", "field"), [(Bounce, "address"), (OutboundMail, "to")])
def test_bounce_and_outbound_address_fields_validate_unicode_addresses(model, field):
    checked = model._meta.get_field(field)
    for typed, _ in ACCEPTED:
        checked.clean(typed, None)
