import pytest
from django.core.cache import cache
from django.test import Client

from deskline.accounts.models import AuditEntry


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_admin_signs_in_and_sees_home_and_tokens(admin_user, it_desk):
    client = Client()
    response = client.post(
        "/login/",
        {"username": "admin@example.com", "password": "pw-12345678"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    # A password sign-in is in the audit log, as sign-ins by link and failures are.
    signed_in = AuditEntry.objects.get(action="login.password")
    assert (signed_in.actor, signed_in.ip_address) == (admin_user, "192.0.2.7")
    home = client.get("/")
    assert home.status_code == 200
    assert "My open tickets" in home.content.decode()
    created = client.post("/tokens/", {"name": "laptop"})
    token = created.context["new_token"]
    assert token.startswith("dl_")
    api = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert api.json()["email"] == "admin@example.com"


def test_pages_require_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_repeated_failures_lock_the_sign_in(admin_user):
    client = Client()
    for _ in range(10):
        response = client.post("/login/", {"username": "admin@example.com", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post("/login/", {"username": "admin@example.com", "password": "pw-12345678"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login.failed").count() == 10


def test_session_api_calls_need_csrf(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get("/api/v1/users/me").status_code == 200
    response = client.post(
        "/api/v1/desks",
        {"name": "X", "slug": "x", "prefix": "X"},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


def test_own_sign_in_does_not_reset_the_addresss_failures(admin_user, make_user):
    """Guessing many accounts' passwords from one address is capped by the address's
    count: signing in to one's own account between guesses must not wipe it."""
    make_user("mallory@example.com")  # password pw-12345678
    client = Client()
    ip = {"REMOTE_ADDR": "198.51.100.9"}
    for n in range(9):
        guess = {"username": f"victim{n}@example.com", "password": "Winter2026!"}
        assert client.post("/login/", guess, **ip).status_code == 200
    own = {"username": "mallory@example.com", "password": "pw-12345678"}
    assert client.post("/login/", own, **ip).status_code == 302
    client.post("/logout/", **ip)
    guess = {"username": "victim9@example.com", "password": "Winter2026!"}
    assert client.post("/login/", guess, **ip).status_code == 200  # the tenth failure
    assert (
        client.post("/login/", {**guess, "username": "victim10@example.com"}, **ip).status_code
        == 429
    )
    # The account itself is not locked out by others' failures from that address.
    assert Client().post("/login/", own, REMOTE_ADDR="203.0.113.4").status_code == 302


def test_failures_count_in_every_web_worker(admin_user):
    """The embedded default's cache lives in each worker: the count must not. Clearing
    this process's cache stands for the next request landing on another worker."""
    for _ in range(10):
        Client().post(
            "/login/",
            {"username": "admin@example.com", "password": "wrong"},
            REMOTE_ADDR="192.0.2.9",
        )
    cache.clear()
    response = Client().post(
        "/login/",
        {"username": "admin@example.com", "password": "pw-12345678"},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.parametrize("typed", ["ADMIN@example.com", "Admin@Example.COM", " admin@example.com "])
def test_sign_in_ignores_the_case_and_spaces_of_the_email(admin_user, typed):
    client = Client()
    response = client.post("/login/", {"username": typed, "password": "pw-12345678"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)
