import json

import pytest
from django.test import Client

from deskline.automation.models import Macro, Trigger

pytestmark = pytest.mark.django_db


def test_admin_builds_a_trigger_and_dry_runs_it_in_the_pages(admin_client, desk_setup, make_ticket):
    assert admin_client.get("/automation/").status_code == 200
    assert admin_client.get("/automation/triggers/new/").status_code == 200
    form = {
        "desk": "it",
        "name": "VIP urgent",
        "position": "0",
        "is_active": "on",
        "events": ["ticket_created", "ticket_updated"],
        "conditions": json.dumps(
            {"all": [{"field": "organization", "op": "is", "value": "VIP Corp"}]}
        ),
        "actions": json.dumps([{"type": "assign", "team": "nobody"}]),
    }
    refused = admin_client.post("/automation/triggers/new/", form)
    assert refused.status_code == 200 and b"0.team" in refused.content
    assert not Trigger.objects.exists()

    form["actions"] = json.dumps([{"type": "assign", "team": "l2"}])
    saved = admin_client.post("/automation/triggers/new/", form)
    assert saved.status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.actions == [{"type": "assign", "team": "l2"}]
    page = admin_client.get(saved["Location"])
    assert b"VIP urgent" in page.content and b"dry-run" in page.content

    ticket = make_ticket(desk_setup["desk"], desk_setup["vip_requester"])
    dry = admin_client.post(
        f"/automation/triggers/{trigger.pk}/dry-run/", {"ticket": ticket.number}
    )
    assert dry.status_code == 200 and b"It would act on this ticket." in dry.content
    ticket.refresh_from_db()
    assert ticket.team_id is None
    missing = admin_client.post(f"/automation/triggers/{trigger.pk}/dry-run/", {"ticket": "IT-999"})
    assert b"not found" in missing.content


def test_rules_and_shared_macros_pages(admin_client):
    saved = admin_client.post(
        "/automation/rules/new/",
        {
            "desk": "it",
            "name": "remind",
            "position": "0",
            "is_active": "on",
            "status": "pending",
            "hours": "72",
            "conditions": "{}",
            "actions": json.dumps(
                [{"type": "send_mail", "to": "requester", "subject": "s", "body": "b"}]
            ),
        },
    )
    assert saved.status_code == 302
    macro = admin_client.post(
        "/automation/macros/new/",
        {
            "desk": "it",
            "name": "thanks",
            "position": "0",
            "is_active": "on",
            "team": "l2",
            "actions": "[]",
            "replies": json.dumps({"en": "Thanks {{requester.name}}"}),
        },
    )
    assert macro.status_code == 302
    assert Macro.objects.get().team.slug == "l2"
    index = admin_client.get("/automation/")
    assert b"remind" in index.content and b"thanks" in index.content


def test_agents_do_not_get_the_pages(desk_setup):
    client = Client()
    client.force_login(desk_setup["agent"])
    assert client.get("/automation/").status_code == 404
    assert client.get("/automation/triggers/new/").status_code == 404


def test_console_nav_links_automation_for_desk_managers_only(admin_client, desk_setup):
    link = b'href="/automation/"'
    assert link in admin_client.get("/").content
    supervisor = Client()
    supervisor.force_login(desk_setup["supervisor"])
    assert link in supervisor.get("/").content
    agent = Client()
    agent.force_login(desk_setup["agent"])
    page = agent.get("/")
    assert page.status_code == 200 and link not in page.content


@pytest.mark.parametrize("with_desk", [False, True])
def test_a_superuser_without_desk_roles_opens_the_pages(make_user, with_desk):
    from deskline.desks.services import create_desk

    if with_desk:
        create_desk(name="HR", slug="hr", prefix="HR", visibility="internal")
    client = Client()
    client.force_login(make_user(is_superuser=True, is_staff=True))
    page = client.get("/automation/")
    assert page.status_code == 200
    assert b'href="/automation/"' in page.content
    assert (b"create a desk first" in page.content) is not with_desk
    assert client.get("/automation/triggers/new/").status_code == 200


@pytest.mark.parametrize(
    "language, titles",
    [
        ("ar", {"triggers": "مشغِّل", "rules": "قاعدة مجدولة", "macros": "ماكرو"}),
        ("zh-hans", {"triggers": "触发器", "rules": "定时规则", "macros": "宏"}),
        ("en", {"triggers": "Trigger", "rules": "Scheduled rule", "macros": "Macro"}),
    ],
)
def test_the_form_pages_are_titled_in_the_admins_language(
    language, titles, admin_client, desk_setup
):
    admin = desk_setup["admin"]
    admin.language = language
    admin.save(update_fields=["language"])
    for kind, title in titles.items():
        page = admin_client.get(f"/automation/{kind}/new/")
        assert page.status_code == 200
        assert f"<h1>{title}</h1>" in page.content.decode()
