"""The builder's metadata: the grammar of conditions and actions, and each desk's own
choices (never another desk's), in the reader's language."""

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from deskline.automation import actions as action_specs
from deskline.automation import conditions as condition_specs
from deskline.automation.builder import builder_metadata
from deskline.automation.models import Webhook
from deskline.desks.models import CustomField, Desk, Role
from deskline.desks.services import create_category, create_team
from deskline.tickets.models import StatusDefinition

pytestmark = pytest.mark.django_db


def _values(choices: list[list[Any]]) -> list[Any]:
    return [value for value, _label in choices]


@pytest.fixture
def two_desks(it_desk: Desk, support_desk: Desk, admin_user, agent_on) -> dict[str, Any]:
    create_team(it_desk, name="Network L2", slug="network", tier=2)
    create_team(support_desk, name="Billing L2", slug="billing", tier=2)
    hardware = create_category(it_desk, name="Hardware", slug="hardware")
    create_category(it_desk, name="Laptop", slug="laptop", parent=hardware)
    create_category(support_desk, name="Refund", slug="refund")
    CustomField.objects.create(
        desk=it_desk, key="os", label="Operating system", field_type="choice", choices=["Linux"]
    )
    CustomField.objects.create(desk=support_desk, key="plan", label="Plan", field_type="text")
    Webhook.objects.create(desk=it_desk, name="IT chat", url="https://it.example/hook")
    Webhook.objects.create(desk=support_desk, name="CRM", url="https://crm.example/hook")
    StatusDefinition.objects.create(
        desk=it_desk, name="Waiting on vendor", slug="vendor", base_status="pending"
    )
    StatusDefinition.objects.create(
        desk=None, name="Awaiting parts", slug="parts", base_status="on_hold"
    )
    return {
        "it": it_desk,
        "support": support_desk,
        "admin": admin_user,
        "it_agent": agent_on(it_desk, Role.AGENT, email="ian@example.com", name="Ian"),
        "it_viewer": agent_on(it_desk, Role.LIGHT_AGENT, email="vic@example.com"),
        "support_agent": agent_on(support_desk, Role.AGENT, email="sue@example.com"),
        "it_supervisor": agent_on(it_desk, Role.SUPERVISOR, email="sam@example.com"),
    }


def test_each_desk_offers_its_own_choices_only(two_desks):
    meta = builder_metadata(Desk.objects.filter(slug__in=["it", "support"]), "triggers")
    it, support = meta["desks"]["it"], meta["desks"]["support"]

    assert _values(it["choices"]["team"]) == ["network"]
    assert _values(support["choices"]["team"]) == ["billing"]
    assert it["choices"]["category"] == [
        ["hardware", "Hardware"],
        ["hardware/laptop", "Hardware / Laptop"],
    ]
    assert _values(support["choices"]["category"]) == ["refund"]
    assert [f["key"] for f in it["custom_fields"]] == ["os"]
    assert it["custom_fields"][0]["choices"] == [["Linux", "Linux"]]
    assert [f["key"] for f in support["custom_fields"]] == ["plan"]
    assert [label for _id, label in it["choices"]["webhook"]] == ["IT chat"]
    assert [label for _id, label in support["choices"]["webhook"]] == ["CRM"]
    # Agents who may be assigned there: agents, supervisors and admins; not viewers.
    assert set(_values(it["choices"]["assignee"])) == {
        "ian@example.com",
        "sam@example.com",
        "admin@example.com",
    }
    assert set(_values(support["choices"]["assignee"])) == {"sue@example.com", "admin@example.com"}
    # Base statuses, the desk's own and the shared ones.
    it_statuses = _values(it["choices"]["status"])
    assert it_statuses[:6] == ["new", "open", "pending", "on_hold", "solved", "closed"]
    assert set(it_statuses[6:]) == {"vendor", "parts"}
    assert set(_values(support["choices"]["status"])[6:]) == {"parts"}


def test_only_the_desks_given_are_described(two_desks):
    meta = builder_metadata(Desk.objects.filter(slug="it"), "rules")
    assert list(meta["desks"]) == ["it"]
    assert "billing" not in json.dumps(meta)


def test_grammar_follows_conditions_and_actions(two_desks, organization):
    meta = builder_metadata(Desk.objects.all(), "triggers")
    fields = {f["name"]: f for f in meta["fields"]}
    assert list(fields) == list(condition_specs.FIELDS)
    assert fields["priority"]["ops"] == list(condition_specs.FIELDS["priority"][1])
    assert fields["organization"]["kind"] == "ref"
    assert meta["custom_ops"] == list(condition_specs.CUSTOM_OPS)
    assert set(meta["ops"]) >= {op for _kind, ops in condition_specs.FIELDS.values() for op in ops}
    assert _values(meta["actions"]) == list(action_specs.ALL_TYPES)
    assert _values(meta["settable"]) == list(action_specs.SETTABLE)
    assert _values(meta["mail_to"]) == list(action_specs.MAIL_TO)
    assert _values(meta["notify_to"]) == list(action_specs.NOTIFY_TO)
    assert _values(meta["choices"]["priority"]) == ["low", "normal", "high", "urgent"]
    assert _values(meta["choices"]["tier"]) == [0, 1, 2, 3, 4]
    assert _values(meta["choices"]["organization"]) == ["Acme"]
    assert meta["conditions"] is True


def test_macros_offer_macro_actions_and_no_conditions(two_desks):
    meta = builder_metadata(Desk.objects.all(), "macros")
    assert _values(meta["actions"]) == list(action_specs.MACRO_TYPES)
    assert meta["conditions"] is False


def test_labels_are_in_the_readers_language(two_desks):
    with translation.override("ar"):
        arabic = builder_metadata(Desk.objects.filter(slug="it"), "triggers")
    with translation.override("zh-hans"):
        chinese = builder_metadata(Desk.objects.filter(slug="it"), "triggers")
    english = builder_metadata(Desk.objects.filter(slug="it"), "triggers")
    for translated in (arabic, chinese):
        for key in ("add_condition", "edit_json", "any", "remove"):
            assert translated["labels"][key] != english["labels"][key], key
        assert translated["ops"]["contains"] != english["ops"]["contains"]
        assert dict(translated["actions"])["notify"] != dict(english["actions"])["notify"]
        assert dict(translated["choices"]["priority"])["urgent"] != "Urgent"


def test_the_page_carries_the_metadata_of_the_viewers_desks(two_desks):
    client = Client()
    client.force_login(two_desks["it_supervisor"])
    page = client.get("/automation/triggers/new/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('id="automation-builder-data"')
    data = html[html.index(">", start) + 1 : html.index("</script>", start)]
    meta = json.loads(data)
    assert list(meta["desks"]) == ["it"]
    assert "automation/builder.js" in html
    # Without the script the JSON fields are still there to fill in.
    assert 'name="conditions"' in html and 'name="actions"' in html
