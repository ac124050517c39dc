"""The Django admin's user forms take the addresses the rest of Deskline takes
(core.emails.check_email: RFC 6531 Unicode local parts, IDN domains in either form),
store them as the rest stores them (core.emails.normalize_email), and refuse what the
rest refuses, naming the field."""

import pytest
from django.test import Client

from deskline.accounts.models import User

ACCEPTED = [
    ("jörg@bücher.example", "jörg@bücher.example"),
    ("用户@例子.广告", "用户@例子.广告"),
    ("Jörg@XN--BCHER-KVA.example", "jörg@bücher.example"),
    ("Sam@Example.COM", "sam@example.com"),
]
REFUSED = ["jö rg@example.com", "jörg@", "x@xn--abc-.example"]


@pytest.fixture
def admin_page(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _add(page: Client, email: str):
    return page.post(
        "/admin/accounts/user/add/",
        {
            "email": email,
            "name": "New",
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
            "usable_password": "true",
        },
    )


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_the_add_form_takes_what_the_rest_takes(admin_page, typed, stored):
    response = _add(admin_page, typed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email=stored)
    assert user.check_password("a-long-pass-phrase-1")
    # Stored as every other path stores it: found again by the address, signs in.
    assert (
        Client()
        .post("/login/", {"username": typed, "password": "a-long-pass-phrase-1"})
        .status_code
        == 302
    )


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_the_change_form_takes_what_the_rest_takes(admin_page, make_user, typed, stored):
    user = make_user("plain@example.com", name="Plain")
    data = {
        "email": typed,
        "name": "Plain",
        "organization": "",
        "language": "en",
        "time_zone": "UTC",
        "phone": "",
        "is_active": "on",
    }
    response = admin_page.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email == stored


@pytest.mark.parametrize("typed", REFUSED)
def test_the_add_form_refuses_what_the_rest_refuses(admin_page, typed):
    response = _add(admin_page, typed)
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not User.objects.filter(name="New").exists()


def test_the_api_creates_the_same_users(api_for, admin_user):
    """POST /users checks the address with check_email, then full_clean(): the model
    field must take what the check took."""
    response = api_for(admin_user).post("/users", {"email": "Jörg@bücher.example"})
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "jörg@bücher.example"


def test_the_setup_page_adds_such_an_agent_by_address(admin_page, it_desk, make_user):
    agent = make_user("jörg@bücher.example")
    added = admin_page.post(
        "/setup/desks/it/agents/", {"email": "Jörg@xn--bcher-kva.example", "role": "agent"}
    )
    assert added.status_code == 302, added.content
    assert it_desk.memberships.get().user == agent
