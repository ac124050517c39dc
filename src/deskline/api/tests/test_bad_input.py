"""Bad input gets a 4xx naming the field, never a 500 (and never a silent drop)."""

import pytest
from django.test import Client

from deskline.desks.models import CustomField, Role
from deskline.desks.services import create_category

BIG = "99999999999999999999999"
OK_MESSAGE = '"message": {"body_text": "y"}'

CASES = [
    # method, path, body, expected status, field named in errors (None: no field list)
    ("post", "/tickets", "{not json", 400, None),
    ("post", "/tickets", "[]", 422, "body"),
    ("post", "/tickets", "{}", 422, "desk"),
    ("post", "/tickets", '{"desk": "it", "subject": 5, ' + OK_MESSAGE + "}", 422, "subject"),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "tier": 9}',
        422,
        "tier",
    ),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "custom_fields": []}',
        422,
        "custom_fields",
    ),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "requester": {"email": "bad"}}',
        422,
        "requester.email",
    ),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", "message": {"body_text": "y", "attachment_ids": [99999]}}',
        422,
        "attachment_ids",
    ),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "assignee": "nobody@x.test"}',
        422,
        "assignee",
    ),
    ("post", "/tickets", '{"desk": ' + BIG + ', "subject": "x", ' + OK_MESSAGE + "}", 422, "desk"),
    (
        "post",
        "/tickets",
        '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "colour": "red"}',
        422,
        "colour",
    ),
    ("get", "/tickets?updated_since=yesterday", None, 422, "updated_since"),
    ("get", "/tickets?limit=abc", None, 422, "limit"),
    ("get", "/tickets?limit=1000", None, 422, "limit"),
    ("get", "/tickets?desk=nope", None, 422, "desk"),
    ("get", "/tickets?cursor=%25%25", None, 422, "cursor"),
    ("get", "/tickets?status=weird", None, 422, "status"),
    ("get", f"/tickets?team={BIG}", None, 200, None),
    ("get", f"/tickets?assignee={BIG}", None, 200, None),
    ("get", "/tickets/IT-abc", None, 404, None),
    ("get", f"/tickets/{BIG}", None, 404, None),
    ("patch", "/tickets/IT-1", '{"status": "weird"}', 422, "status"),
    ("patch", "/tickets/IT-1", '{"custom_fields": {"x": 1}}', 422, "custom_fields.x"),
    ("patch", "/tickets/IT-1", '{"tags": "abc"}', 422, "tags"),
    ("patch", "/tickets/IT-1", '{"subject": ""}', 422, "subject"),
    ("patch", "/tickets/IT-1", '{"subject": "' + "x" * 501 + '"}', 422, "subject"),
    ("patch", "/tickets/IT-1", '{"nope": 1}', 422, "nope"),
    ("post", "/tickets/IT-1/links", '{"target": "IT-1", "kind": "related"}', 422, "target"),
    ("post", "/tickets/IT-1/links", '{"target": "IT-1", "kind": "cousin"}', 422, "kind"),
    ("post", "/tickets/IT-1/merge", '{"target": "IT-1"}', 422, "target"),
    ("post", "/tickets/IT-1/messages", '{"body_text": ""}', 422, "body_text"),
    ("get", f"/attachments/{BIG}", None, 422, "attachment_id"),
    ("post", "/desks", '{"name": "x", "slug": "BAD SLUG", "prefix": "it"}', 422, "slug"),
    ("post", "/desks", '{"name": "x", "slug": "it", "prefix": "IT"}', 422, "prefix"),
    (
        "post",
        "/desks",
        '{"name": "x", "slug": "x2", "prefix": "X2", "visibility": "public"}',
        422,
        "visibility",
    ),
    ("post", "/teams", '{"desk": "it", "name": "x", "slug": "ok", "tier": 9}', 422, "tier"),
    ("post", "/users", '{"email": "bad"}', 422, "email"),
    ("post", "/users", '{"email": "new@example.com", "language": "xx"}', 422, "language"),
    ("post", "/organizations", '{"name": ""}', 422, "name"),
    ("patch", "/users/me-is-not-an-id", '{"name": "x"}', 422, "user_id"),
    ("put", "/desks/it/members", '{"email": "x@example.com", "role": "god"}', 422, "role"),
    ("post", "/desks/it/custom-fields", '{"key": "Bad Key", "label": "x"}', 422, "key"),
    ("post", "/desks/it/categories", '{"name": "x", "slug": "a", "parent": "zzz"}', 422, "parent"),
    ("post", "/desks/it/categories", '{"name": "Again", "slug": "hw"}', 422, "slug"),
    ("post", "/desks/it/custom-fields", '{"key": "asset", "label": "Again"}', 422, "key"),
    (
        "post",
        "/desks/it/custom-fields",
        '{"key": "k", "label": "x", "field_type": "x"}',
        422,
        "field_type",
    ),
    (
        "post",
        "/desks/it/custom-fields",
        '{"key": "k", "label": "x", "field_type": "choice", "choices": []}',
        422,
        "choices",
    ),
    # A body field that names nothing is bad input (422 naming it), not a missing
    # resource: the address itself exists.
    ("post", "/teams", '{"desk": "nope", "name": "x", "slug": "ok"}', 422, "desk"),
    (
        "post",
        "/triggers",
        '{"desk": "nope", "name": "x", "events": [], "actions": []}',
        422,
        "desk",
    ),
    (
        "post",
        "/scheduled-rules",
        '{"desk": "nope", "name": "x", "status": "pending", "hours": 1, "actions": []}',
        422,
        "desk",
    ),
    (
        "post",
        "/webhooks",
        '{"desk": "nope", "name": "x", "url": "https://example.com/h", "events": []}',
        422,
        "desk",
    ),
    (
        "post",
        "/inbound-hooks",
        '{"desk": "nope", "name": "x", "sender_email": "alerts@example.com"}',
        422,
        "desk",
    ),
    ("post", "/macros", '{"desk": "nope", "name": "x"}', 422, "desk"),
    (
        "post",
        "/vendors",
        '{"desk": 99999, "name": "x", "contact_email": "v@example.com"}',
        422,
        "desk",
    ),
    ("post", "/sla/policies", '{"desk": "nope", "name": "x"}', 422, "desk"),
    ("post", "/triage/train", '{"desk": "nope", "target": "category"}', 422, "desk"),
    ("post", "/tickets/IT-1/links", '{"target": "IT-999", "kind": "related"}', 422, "target"),
    ("post", "/tickets/IT-1/merge", '{"target": "IT-999"}', 422, "target"),
    (
        "post",
        "/kb/articles",
        '{"desk": "it", "title": "x", "translation_of": 99999}',
        422,
        "translation_of",
    ),
    ("post", "/tickets/IT-1/articles", '{"article": 99999}', 422, "article"),
    (
        "post",
        "/kb/events",
        '{"session": "s", "kind": "opened", "desk": "it", "article": 99999}',
        422,
        "article",
    ),
    (
        "post",
        "/kb/events",
        '{"session": "s", "kind": "submitted", "desk": "it", "ticket": "IT-999"}',
        422,
        "ticket",
    ),
    # A superscript two is a digit to str.isdigit() but no number to int().
    ("get", "/desks/\u00b2/custom-fields", None, 404, None),
    ("get", "/tickets/\u00b2", None, 404, None),
    ("get", "/users?organization=-78187096451609591808", None, 422, "organization"),
    ("get", f"/users?organization={BIG}", None, 422, "organization"),
    (
        "post",
        "/vendors",
        '{"desk": "it", "name": "x", "contact_email": "v@example.com", "organization": '
        + BIG
        + "}",
        422,
        "organization",
    ),
    ("post", "/kb/articles", '{"desk": "it", "title": "x", "translation_of": ' + BIG + "}", 422,
     "translation_of"),
    ("post", "/sla/policies", '{"desk": "it", "name": "x", "calendar": ' + BIG + "}", 422,
     "calendar"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), CASES)
def test_bad_input_is_a_clear_4xx(
    admin_user, api_for, it_desk, make_ticket, method, path, body, status, field
):
    make_ticket(it_desk, admin_user)
    create_category(it_desk, name="Hardware", slug="hw")
    CustomField.objects.create(desk=it_desk, key="asset", label="Asset tag")
    api = api_for(admin_user)
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    response = getattr(api.client, method)(f"/api/v1{path}", headers=api.headers, **kwargs)
    assert response.status_code == status, response.content
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.content


def test_a_desk_in_the_body_the_caller_may_not_see_answers_like_a_missing_one(
    it_desk, support_desk, agent_on, api_for
):
    """A support agent does not see the internal IT desk: naming it in a body is the same
    422 as naming no desk, and a desk they see but do not manage is a 403."""
    supervisor = api_for(agent_on(support_desk, Role.SUPERVISOR))
    team = {"name": "Network", "slug": "network"}
    hidden = supervisor.post("/teams", {**team, "desk": "it"})
    missing = supervisor.post("/teams", {**team, "desk": "nope"})
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json()["errors"] == [{"field": "desk", "message": "no desk 'it'"}]
    assert supervisor.post("/teams", {**team, "desk": "support"}).status_code == 201
    agent = api_for(agent_on(support_desk, Role.AGENT))
    assert agent.post("/teams", {**team, "slug": "other", "desk": "support"}).status_code == 403


def test_time_zone_is_validated(admin_user, api_for):
    response = api_for(admin_user).patch(f"/users/{admin_user.pk}", {"time_zone": "Mars/Base"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"


LONE_SURROGATE = [
    # A surrogate escaped on its own is valid JSON but no text: storing it was a 500.
    ("/tickets", '{"desk": "it", "subject": "ok", "message": {"body_text": "\\udfff x"}}'),
    ("/tickets", '{"desk": "it", "subject": "ok", ' + OK_MESSAGE + ', "tags": ["\\uD800"]}'),
    ("/tickets/IT-1/messages", '{"body_text": "a \\ud83d"}'),
]
NUL = [
    # PostgreSQL refused these with a 422 naming no field; SQLite stored them.
    ("/tickets", '{"desk": "it", "subject": "a\\u0000b", ' + OK_MESSAGE + "}", "subject"),
    ("/tickets", '{"desk": "it", "subject": "ok", "message": {"body_text": "y\\u0000"}}', None),
    ("/tickets/IT-1/messages", '{"body_text": "\\u0000"}', "body_text"),
]


@pytest.mark.parametrize(("path", "body", "field"), NUL)
def test_a_nul_character_is_refused_with_its_field(
    admin_user, api_for, it_desk, make_ticket, path, body, field
):
    make_ticket(it_desk, admin_user)
    response = api_for(admin_user).post(path, data=body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == (field or "message.body_text")
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(("path", "body"), LONE_SURROGATE)
def test_a_lone_surrogate_is_refused_with_its_field(
    admin_user, api_for, it_desk, make_ticket, path, body
):
    make_ticket(it_desk, admin_user)
    response = api_for(admin_user).post(path, data=body)
    assert response.status_code == 422, response.content
    field = response.json()["errors"][0]["field"]
    assert field in {"message.body_text", "tags.0", "body_text"}
    assert "surrogate" in response.json()["detail"]


def test_escaped_emoji_pairs_are_still_text(admin_user, api_for, it_desk):
    body = '{"desk": "it", "subject": "\\ud83d\\ude00 ok", "message": {"body_text": "y"}}'
    response = api_for(admin_user).post("/tickets", data=body)
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "\U0001f600 ok"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_json_does_not_have_are_refused(admin_user, api_for, it_desk, number):
    # They reached int() on an integer custom field: OverflowError, a 500.
    CustomField.objects.create(desk=it_desk, key="count", label="Count", field_type="integer")
    body = '{"desk": "it", "subject": "x", ' + OK_MESSAGE + ', "custom_fields": {"count": %s}}'
    response = api_for(admin_user).post("/tickets", data=body % number)
    assert response.status_code == 400, response.content
    assert "not JSON" in response.json()["detail"]


def test_a_body_that_is_not_json_says_where_it_broke(admin_user, api_for):
    response = api_for(admin_user).post("/tickets", data='{"desk": "it",, }')
    assert response.status_code == 400
    assert "line 1 column 15" in response.json()["detail"]


def test_a_body_over_the_size_limit_is_a_json_413(admin_user, api_for, it_desk, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    text = "é" * (1024 * 1024)
    response = api_for(admin_user).post(
        "/tickets", {"desk": "it", "subject": "big", "message": {"body_text": text}}
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/tikets", "/api/v1/tickets/1/nope", "/api/v2/tickets"])
def test_an_address_with_no_endpoint_is_a_json_404(admin_user, api_for, path):
    api = api_for(admin_user)
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert path in response.json()["detail"]


def test_pages_outside_the_api_keep_their_html_404(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "field"),
    [("/users/{user}", "phone"), ("/users/{user}", "name"), ("/organizations/{org}", "notes")],
)
def test_null_for_a_field_that_cannot_be_empty_is_refused_by_name(admin_user, api_for, path, field):
    from deskline.accounts.models import Organization

    org = Organization.objects.create(name="Acme", notes="keep me")
    url = path.format(user=admin_user.pk, org=org.pk)
    response = api_for(admin_user).patch(url, {field: None})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    org.refresh_from_db()
    assert org.notes == "keep me"


def test_ids_in_arabic_indic_digits_are_read_as_numbers(admin_user, api_for, it_desk):
    arabic = str(it_desk.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = api_for(admin_user).get(f"/desks/{arabic}")
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "it"
