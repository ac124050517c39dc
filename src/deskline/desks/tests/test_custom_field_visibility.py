"""Who may show a custom field to requesters: admins only, as in Zendesk and Jira
Service Management, where what customers see of a ticket is an administrator's call.

A field shown to requesters puts what agents write into it (a fraud score, a cost
centre, an internal reference) on the requester's page, portal form and API answers, so
a desk's supervisors make fields for their agents, hidden from requesters unless an
admin shows them; hiding a field is anyone's who manages the desk. Every field made or
changed is in the audit log with its visibility.
"""

from django.test import Client

from deskline.accounts.models import AuditEntry
from deskline.desks.models import CustomField, Role

PATH = "/desks/it/custom-fields"


def _audited(action: str) -> list[tuple]:
    entries = AuditEntry.objects.filter(action=action).order_by("id")
    return [(e.actor_id, e.data.get("key"), e.data.get("visible_to_requester")) for e in entries]


def test_supervisors_make_fields_for_agents_and_admins_show_them(
    it_desk, agent_on, admin_user, api_for
):
    supervisor = agent_on(it_desk, Role.SUPERVISOR)
    api = api_for(supervisor)
    refused = api.post(PATH, {"key": "risk", "label": "Fraud risk", "visible_to_requester": True})
    assert refused.status_code == 403, refused.content
    assert "only admins may show a custom field to requesters" in refused.json()["detail"]
    assert not CustomField.objects.exists()

    made = api.post(PATH, {"key": "risk", "label": "Fraud risk"})
    assert made.status_code == 201, made.content
    assert made.json()["visible_to_requester"] is False  # theirs: for agents only
    hidden = api.post(PATH, {"key": "cost", "label": "Cost", "visible_to_requester": False})
    assert hidden.status_code == 201 and hidden.json()["visible_to_requester"] is False

    admins = api_for(admin_user).post(PATH, {"key": "order", "label": "Order number"})
    assert admins.status_code == 201 and admins.json()["visible_to_requester"] is True
    assert _audited("custom_field.created") == [
        (supervisor.pk, "risk", False),
        (supervisor.pk, "cost", False),
        (admin_user.pk, "order", True),
    ]


def _field_form(field: CustomField, **changes) -> dict:
    form = {
        "key": field.key,
        "label": field.label,
        "field_type": field.field_type,
        "position": field.position,
        "choices_text": "",
    }
    if field.visible_to_requester:
        form["visible_to_requester"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_on_the_setup_page_only_admins_show_a_field_to_requesters(it_desk, agent_on, admin_user):
    supervisor = Client()
    supervisor.force_login(agent_on(it_desk, Role.SUPERVISOR))
    new = supervisor.get("/setup/desks/it/fields/")
    assert new.context["form"].fields["visible_to_requester"].disabled
    created = supervisor.post(
        "/setup/desks/it/fields/",
        {"key": "risk", "label": "Fraud risk", "field_type": "text", "position": 0,
         "visible_to_requester": "on"},
    )  # fmt: skip
    assert created.status_code == 302, created.content
    field = CustomField.objects.get(key="risk")
    assert field.visible_to_requester is False
    shown = supervisor.post(
        f"/setup/desks/it/fields/{field.pk}/", _field_form(field, visible_to_requester="on")
    )
    assert shown.status_code == 302
    field.refresh_from_db()
    assert field.visible_to_requester is False

    admin = Client()
    admin.force_login(admin_user)
    form = admin.get(f"/setup/desks/it/fields/{field.pk}/").context["form"]
    assert not form.fields["visible_to_requester"].disabled
    shown = admin.post(
        f"/setup/desks/it/fields/{field.pk}/", _field_form(field, visible_to_requester="on")
    )
    assert shown.status_code == 302
    field.refresh_from_db()
    assert field.visible_to_requester is True
    # A supervisor may hide it again: it takes nothing new to the requesters.
    hidden = supervisor.post(
        f"/setup/desks/it/fields/{field.pk}/", _field_form(field, visible_to_requester=None)
    )
    assert hidden.status_code == 302
    field.refresh_from_db()
    assert field.visible_to_requester is False
    updates = AuditEntry.objects.filter(action="custom_field.updated").order_by("id")
    assert [(e.actor.is_superuser, e.data["fields"]) for e in updates] == [
        (True, ["visible_to_requester"]),
        (False, ["visible_to_requester"]),
    ]


def _staff_with_field_permissions(make_user):
    from django.contrib.auth.models import Permission

    staff = make_user("staff@example.com", name="Staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="_customfield"))
    client = Client()
    client.force_login(staff)
    return staff, client


def _admin_form(field: CustomField | None = None, **changes) -> dict:
    """The admin form as a browser sends it; a checkbox left off is not sent."""
    values = {"key": "risk", "label": "Fraud risk", "field_type": "text", "position": "0"}
    if field is not None:
        values.update(key=field.key, label=field.label)
    return {**values, "choices": "[]", **changes}


def test_django_admin_staff_cannot_show_a_field_and_their_changes_are_audited(it_desk, make_user):
    staff, page = _staff_with_field_permissions(make_user)
    added = page.post(
        "/admin/desks/customfield/add/",
        _admin_form(desk=it_desk.pk, visible_to_requester="on"),
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    field = CustomField.objects.get(key="risk")
    assert field.visible_to_requester is False  # a supervisor's field: hidden
    form = page.get(f"/admin/desks/customfield/{field.pk}/change/")
    assert form.status_code == 200
    assert {"desk", "visible_to_requester"} <= set(form.context["adminform"].readonly_fields)
    shown = page.post(
        f"/admin/desks/customfield/{field.pk}/change/",
        _admin_form(field, label="Risk score", visible_to_requester="on"),
    )
    assert shown.status_code == 302, shown.context["adminform"].form.errors
    field.refresh_from_db()
    assert (field.label, field.visible_to_requester) == ("Risk score", False)
    assert _audited("custom_field.created") == [(staff.pk, "risk", False)]
    assert _audited("custom_field.updated") == [(staff.pk, "risk", False)]


def test_django_admin_superusers_show_fields_and_are_audited(it_desk, admin_user):
    page = Client()
    page.force_login(admin_user)
    added = page.post(
        "/admin/desks/customfield/add/",
        _admin_form(desk=it_desk.pk, visible_to_requester="on"),
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    field = CustomField.objects.get(key="risk")
    assert field.visible_to_requester is True
    hidden = page.post(f"/admin/desks/customfield/{field.pk}/change/", _admin_form(field))
    assert hidden.status_code == 302, hidden.context["adminform"].form.errors
    field.refresh_from_db()
    assert field.visible_to_requester is False
    assert _audited("custom_field.created") == [(admin_user.pk, "risk", True)]
    assert _audited("custom_field.updated") == [(admin_user.pk, "risk", False)]
