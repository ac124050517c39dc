import pytest

from deskline.automation.models import InboundAlert
from deskline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook_url(api_for, desk_setup) -> str:
    response = api_for(desk_setup["admin"]).post(
        "/inbound-hooks",
        {
            "desk": "it",
            "name": "Grafana",
            "sender_email": "alerts@monitoring.example.com",
            "subject_path": "alert.title",
            "body_path": "alert.text",
            "key_path": "alert.fingerprint",
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["url"].removeprefix("/api/v1")


def _alert(fingerprint: str, title: str = "CPU high on db1") -> dict:
    return {"alert": {"title": title, "text": "load 42", "fingerprint": fingerprint}}


def test_alerts_open_a_ticket_then_add_to_it_until_it_is_solved(api_for, desk_setup, hook_url):
    anonymous = api_for(None)
    first = anonymous.post(hook_url, _alert("abc"))
    assert first.status_code == 201, first.content
    number = first.json()["ticket"]
    again = anonymous.post(hook_url, _alert("abc"))
    assert again.status_code == 200 and again.json() == {"ticket": number, "created": False}
    other = anonymous.post(hook_url, _alert("xyz", "Disk"))
    assert other.status_code == 201 and other.json()["ticket"] != number

    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "webhook" and ticket.requester.email == "alerts@monitoring.example.com"
    assert ticket.subject == "CPU high on db1" and ticket.messages.count() == 2
    assert InboundAlert.objects.get(key="abc").count == 2

    api_for(desk_setup["admin"]).patch(f"/tickets/{ticket.pk}", {"status": "solved"})
    after = anonymous.post(hook_url, _alert("abc"))
    assert after.status_code == 201 and after.json()["ticket"] != number


def test_bad_tokens_and_bad_alerts(api_for, desk_setup, hook_url):
    anonymous = api_for(None)
    assert anonymous.post("/hooks/inbound/dlh_nope", _alert("a")).status_code == 404
    bad_json = anonymous.client.post(
        f"/api/v1{hook_url}", data=b"{not json", content_type="application/json"
    )
    assert bad_json.status_code == 422
    no_title = anonymous.post(hook_url, {"alert": {"text": "x"}})
    assert no_title.status_code == 422
    assert no_title.json()["errors"][0]["field"] == "alert.title"
    assert anonymous.post(hook_url, [1, 2]).status_code == 422
    assert not Ticket.objects.exists()


def test_only_managers_create_inbound_hooks(api_for, desk_setup):
    response = api_for(desk_setup["agent"]).post(
        "/inbound-hooks", {"desk": "it", "name": "x", "sender_email": "a@b.example"}
    )
    assert response.status_code == 403


@pytest.mark.usefixtures("within_one_rate_window")
def test_alerts_beyond_the_per_minute_budget_get_429(api_for, desk_setup, hook_url, settings):
    import secrets

    settings.INBOUND_HOOK_RATE_LIMIT = 3
    # Addresses of our own: the counters live in the cache (Redis), shared by runs.
    flood, other = (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{i}" for i in (1, 2))
    client = api_for(None).client

    def post(address: str, path: str = hook_url):
        return client.post(
            f"/api/v1{path}", _alert("k"), content_type="application/json", REMOTE_ADDR=address
        )

    assert [post(flood).status_code for _ in range(3)] == [201, 200, 200]
    refused = post(flood)
    assert refused.status_code == 429
    assert "rate limit" in refused.json()["detail"] and 1 <= int(refused["Retry-After"]) <= 60
    assert InboundAlert.objects.get(key="k").count == 3  # the refused alert did nothing
    # Guessing tokens counts too: a fresh address is stopped after its budget.
    assert [post(other, "/hooks/inbound/dlh_guess").status_code for _ in range(3)] == [404] * 3
    assert post(other, "/hooks/inbound/dlh_guess").status_code == 429
    # The hook's own budget is spent (three alerts): a fresh address is refused too.
    assert post(f"10.251.{secrets.randbelow(250)}.3").status_code == 429
    settings.INBOUND_HOOK_RATE_LIMIT = 0
    assert post(flood).status_code == 200  # 0 turns the limit off


@pytest.mark.usefixtures("within_one_rate_window")
def test_behind_a_trusted_proxy_each_sender_has_its_own_budget(api_for, settings):
    """Token guessing is counted per client address, the one a trusted proxy forwards
    (core.clients.client_address), as for every other rate limit."""
    import secrets

    settings.INBOUND_HOOK_RATE_LIMIT = 3
    settings.TRUSTED_PROXIES = ["10.250.0.0/16"]
    guesser, other = (f"198.18.{secrets.randbelow(250)}.{i}" for i in (1, 2))
    client = api_for(None).client

    def guess(sender: str):
        return client.post(
            "/api/v1/hooks/inbound/dlh_guess",
            _alert("k"),
            content_type="application/json",
            REMOTE_ADDR="10.250.1.1",
            HTTP_X_FORWARDED_FOR=sender,
        )

    assert [guess(guesser).status_code for _ in range(4)] == [404] * 3 + [429]
    assert guess(other).status_code == 404


def test_an_internationalized_sender_address_is_taken_and_normalized(api_for, desk_setup):
    """The hook's requester address takes what the rest of Deskline takes (RFC 6531 local
    parts, IDN domains), stored in the one form (core.emails.normalize_email)."""
    admin = api_for(desk_setup["admin"])
    response = admin.post(
        "/inbound-hooks",
        {"desk": "it", "name": "Alarme", "sender_email": "Überwachung@XN--BCHER-KVA.example"},
    )
    assert response.status_code == 201, response.content
    hook_url = response.json()["url"].removeprefix("/api/v1")
    opened = api_for(None).post(hook_url, {"title": "Disk full", "message": "db1"})
    assert opened.status_code == 201, opened.content
    ticket = Ticket.objects.get(number=opened.json()["ticket"])
    assert ticket.requester.email == "überwachung@bücher.example"
    refused = admin.post(
        "/inbound-hooks", {"desk": "it", "name": "x", "sender_email": "no spaces@x.example"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "sender_email"
