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


def _fail_from(remote: str, forwarded: str | None, email: str) -> int:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    guess = {"username": email, "password": "Winter2026!"}
    return Client().post("/login/", guess, **headers).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_failure_count(admin_user, settings):
    """Behind a reverse proxy every request comes from the proxy's address: counted by
    it, one guesser would lock everyone out. The client is the address the trusted proxy
    forwards, as for the other rate limits (core.clients.client_address)."""
    settings.TRUSTED_PROXIES = ["10.250.0.0/16"]
    proxy, guesser, colleague = "10.250.1.1", "198.51.100.20", "198.51.100.21"
    for n in range(10):
        assert _fail_from(proxy, f"{guesser}, 10.250.7.7", f"victim{n}@example.com") == 200
    assert _fail_from(proxy, guesser, "victim10@example.com") == 429
    assert _fail_from(proxy, colleague, "someone@example.com") == 200
    signed_in = Client().post(
        "/login/",
        {"username": "admin@example.com", "password": "pw-12345678"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=colleague,
    )
    assert signed_in.status_code == 302
    entry = AuditEntry.objects.get(action="login.password")
    assert entry.ip_address == colleague
    assert set(
        AuditEntry.objects.filter(action="login.failed").values_list("ip_address", flat=True)
    ) == {guesser, colleague}


@pytest.mark.parametrize("proxies", [[], ["10.250.0.0/16"]])
def test_a_forged_forwarded_header_does_not_dodge_the_sign_in_throttle(
    admin_user, settings, proxies
):
    """Without a trusted proxy in front, X-Forwarded-For is whatever the client wrote."""
    settings.TRUSTED_PROXIES = proxies
    guesser = "203.0.113.50"
    for n in range(10):
        forged = f"192.0.2.{n + 1}"
        assert _fail_from(guesser, forged, f"victim{n}@example.com") == 200
    assert _fail_from(guesser, "192.0.2.200", "victim10@example.com") == 429
    assert set(
        AuditEntry.objects.filter(action="login.failed").values_list("ip_address", flat=True)
    ) == {guesser}
