"""PATCH /api/v1/desks/{desk}: a desk's settings by the role rules of
desks.services.update_desk. Admins change everything; a desk's supervisors its name and
description; nobody else anything. A refusal is whole (nothing changes) and names the
field; bad input is a 422 naming the field; every change is in the audit log."""

import pytest

from deskline.accounts.models import AuditEntry
from deskline.desks.models import Desk, Role

ADMIN_ONLY = {
    "visibility": "external",
    "slug": "it-help",
    "prefix": "ITH",
    "is_active": False,
    "default_language": "ar",
}
SUPERVISORS = {"name": "IT help", "description": "Laptops, VPN, accounts"}


@pytest.fixture
def people(it_desk, support_desk, admin_user, agent_on, make_user):
    return {
        "admin": admin_user,
        "supervisor": agent_on(it_desk, Role.SUPERVISOR),
        "other_supervisor": agent_on(support_desk, Role.SUPERVISOR),
        "agent": agent_on(it_desk, Role.AGENT),
        "light_agent": agent_on(it_desk, Role.LIGHT_AGENT),
        "employee": make_user(is_employee=True),
        "requester": make_user(),
    }


def _desk_row(desk: Desk) -> tuple:
    desk.refresh_from_db()
    fields = ("name", "description", "visibility", "slug", "prefix", "is_active")
    return tuple(getattr(desk, name) for name in fields) + (desk.default_language,)


# (persona, change, status): the role matrix, one change at a time.
MATRIX = [
    *[("admin", {key: value}, 200) for key, value in {**ADMIN_ONLY, **SUPERVISORS}.items()],
    *[("supervisor", {key: value}, 200) for key, value in SUPERVISORS.items()],
    *[("supervisor", {key: value}, 403) for key, value in ADMIN_ONLY.items()],
    ("other_supervisor", {"name": "Mine"}, 404),  # no employee: the internal desk is hidden
    ("agent", {"name": "Ours"}, 403),
    ("light_agent", {"description": "x"}, 403),
    ("employee", {"name": "x"}, 403),  # an employee sees the internal desk, manages nothing
    ("requester", {"name": "x"}, 404),  # an internal desk does not exist for them
]


@pytest.mark.parametrize(("persona", "change", "status"), MATRIX)
def test_the_role_matrix(people, it_desk, api_for, persona, change, status):
    before = _desk_row(it_desk)
    before_values = {name: getattr(it_desk, name) for name in change}
    response = api_for(people[persona]).patch(f"/desks/{it_desk.pk}", change)
    assert response.status_code == status, response.content
    field = next(iter(change))
    if status == 200:
        assert response.json()[field] == change[field]
        assert getattr(Desk.objects.get(pk=it_desk.pk), field) == change[field]
        entry = AuditEntry.objects.get(action="desk.updated")
        assert (entry.actor, entry.object_id, entry.data) == (
            people[persona],
            str(it_desk.pk),
            {"fields": [field], "from": {field: before_values[field]}, "to": change},
        )
    else:
        assert _desk_row(it_desk) == before
        assert not AuditEntry.objects.filter(action="desk.updated").exists()
    if status == 403 and persona == "supervisor":
        assert f"only admins may change a desk's {field}" in response.json()["detail"]


def test_a_supervisor_does_not_change_a_desk_they_see_but_do_not_supervise(
    people, support_desk, api_for
):
    refused = api_for(people["supervisor"]).patch("/desks/support", {"name": "Mine"})
    assert refused.status_code == 403, refused.content
    assert Desk.objects.get(pk=support_desk.pk).name == "Support"


def test_a_refusal_is_whole_and_the_desk_is_found_by_slug(people, it_desk, api_for):
    supervisor = api_for(people["supervisor"])
    refused = supervisor.patch("/desks/it", {"name": "IT help", "visibility": "external"})
    assert refused.status_code == 403
    assert Desk.objects.get(pk=it_desk.pk).name == "IT"
    renamed = supervisor.patch("/desks/it", SUPERVISORS)
    assert renamed.status_code == 200 and renamed.json()["name"] == "IT help"
    # An unchanged admin field sent back with the form is no change, so no refusal.
    again = supervisor.patch("/desks/it", {"visibility": "internal", "name": "IT desk"})
    assert again.status_code == 200 and again.json()["name"] == "IT desk"


def test_an_admin_reopens_a_closed_desk(people, it_desk, api_for):
    admin = api_for(people["admin"])
    closed = admin.patch(f"/desks/{it_desk.pk}", {"is_active": False})
    assert closed.status_code == 200 and closed.json()["is_active"] is False
    # A closed desk is out of every list, but an admin still reaches it to reopen it.
    assert it_desk.pk not in [d["id"] for d in admin.get("/desks").json()]
    reopened = admin.patch(f"/desks/{it_desk.pk}", {"is_active": True})
    assert reopened.status_code == 200 and reopened.json()["is_active"] is True
    # Its supervisor does not reach it while closed.
    it_desk.is_active = False
    it_desk.save(update_fields=["is_active"])
    assert api_for(people["supervisor"]).patch("/desks/it", {"name": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "everyone"}, "visibility"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "support"}, "slug"),  # another desk's
        ({"prefix": "SUP"}, "prefix"),  # another desk's
        ({"prefix": "lower"}, "prefix"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"is_active": "maybe"}, "is_active"),
        ({"default_language": "x" * 11}, "default_language"),
        ({"next_sequence": 1}, "next_sequence"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(people, it_desk, support_desk, api_for, body, field):
    before = _desk_row(it_desk)
    response = api_for(people["admin"]).patch(f"/desks/{it_desk.pk}", body)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]], response.content
    assert _desk_row(it_desk) == before


def test_a_missing_desk_is_404_and_signed_out_is_401(people, api_for):
    assert api_for(people["admin"]).patch("/desks/99999", {"name": "x"}).status_code == 404
    assert api_for(people["admin"]).patch("/desks/nope", {"name": "x"}).status_code == 404
    assert api_for(None).patch("/desks/it", {"name": "x"}).status_code == 401


def test_the_openapi_document_describes_it(api_for, people):
    document = api_for(people["admin"]).get("/openapi.json").json()
    operation = document["paths"]["/api/v1/desks/{desk_id}"]["patch"]
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == set(ADMIN_ONLY) | set(SUPERVISORS)
    assert not schema.get("required")
    assert {"200", "403", "404", "422"} <= set(operation["responses"])
    assert "supervisors" in operation["description"]
