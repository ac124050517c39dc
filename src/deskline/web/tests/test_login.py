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
    response = client.post("/login/", {"username": "admin@example.com", "password": "pw-12345678"})
    assert response.status_code == 302
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


@pytest.mark.parametrize("typed", ["ADMIN@example.com", "Admin@Example.COM", " admin@example.com "])
def test_sign_in_ignores_the_case_and_spaces_of_the_email(admin_user, typed):
    client = Client()
    response = client.post("/login/", {"username": typed, "password": "pw-12345678"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)
