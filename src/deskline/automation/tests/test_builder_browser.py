"""The automation builder in a real browser against a real `deskline serve` on demo data:
an admin builds a trigger and two scheduled rules with the builder only (no JSON typed),
dry-runs the trigger, and the saved definitions then act on real tickets."""

import os
import re
import subprocess
import sys

import pytest

from deskline.web.tests.served import browser_marks, demo_server, sign_in

pytestmark = browser_marks()
playwright_api = pytest.importorskip("playwright.sync_api")

ADMIN = "admin@deskline.demo"
VIP_ORG = "Al Noor Clinics"  # a VIP customer of the demo's support desk
VIP_REQUESTER = "dana.alali@alnoor-clinics.example"
SUPERVISOR = "emily.carter@deskline.demo"  # the support desk's supervisor


@pytest.fixture(scope="module")
def server():
    with demo_server(tickets=6) as served:
        yield served


class Api:
    """The JSON API with the page's session (as the pages' own scripts would call it)."""

    def __init__(self, page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        self.page, self.base = page, base_url
        cookies = page.context.cookies()
        self.csrf = next(c["value"] for c in cookies if c["name"] == "csrftoken")

    def _headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf, "Referer": self.base}

    def get(self, path: str):  # type: ignore[no-untyped-def]
        response = self.page.request.get(f"{self.base}/api/v1{path}")
        assert response.ok, response.text()
        return response.json()

    def send(self, method: str, path: str, data: dict):  # type: ignore[no-untyped-def]
        response = self.page.request.fetch(
            f"{self.base}/api/v1{path}", method=method, data=data, headers=self._headers()
        )
        assert response.ok, response.text()
        return response.json()

    def new_vip_ticket(self, subject: str) -> dict:
        return self.send(
            "POST",
            "/tickets",
            {
                "desk": "support",
                "subject": subject,
                "requester": {"email": VIP_REQUESTER},
                "message": {"body_text": "The booking system is down in all clinics."},
                "priority": "urgent",
            },
        )

    def events(self, number: str, kind: str) -> list[dict]:
        return [e for e in self.get(f"/tickets/{number}/events") if e["kind"] == kind]


def _run_scheduled_rules(server, hours_later: int) -> None:
    """Run the scheduled rules as the worker's scheduler does, at a time `hours_later`
    from now (the served site has no worker; waiting days is not an option)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DESKLINE_DATA_DIR=str(server.data_dir),
        DESKLINE_SECRET_KEY="browser-test-secret",
        DESKLINE_TICKET_HOOKS_INLINE="true",
    )
    script = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from deskline.automation.services.rules import run_rules\n"
        f"run_rules(timezone.now() + timedelta(hours={hours_later}))\n"
    )
    subprocess.run([sys.executable, "-m", "deskline", "shell", "-c", script], env=env, check=True)


def _row(page, group: str, index: int):  # type: ignore[no-untyped-def]
    return page.locator(f"ol[data-group='{group}'] > li").nth(index)


def _add_condition(page, group: str, field: str, op: str, value: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"button[data-add='{group}']")
    row = _row(page, group, page.locator(f"ol[data-group='{group}'] > li").count() - 1)
    row.get_by_label("Field", exact=True).select_option(label=field)
    row.get_by_label("Operator", exact=True).select_option(label=op)
    row.get_by_label("Value", exact=True).select_option(label=value)


def _add_action(page, label: str):  # type: ignore[no-untyped-def]
    page.click("button[data-add='actions']")
    row = _row(page, "actions", page.locator("ol[data-group='actions'] > li").count() - 1)
    row.get_by_label("Action", exact=True).select_option(label=label)
    return _row(page, "actions", page.locator("ol[data-group='actions'] > li").count() - 1)


def _new_definition(page, base_url: str, kind: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/automation/{kind}/new/")
    page.select_option("#id_desk", "support")
    page.fill("#id_name", name)
    # The builder stands in for the JSON fields, which stay in the form, hidden.
    assert page.locator("#id_actions").is_hidden()


def _save(page, kind: str) -> int:  # type: ignore[no-untyped-def]
    page.click("form.form-stack button[type=submit]:not([name=delete])")
    page.wait_for_url(re.compile(rf"/automation/{kind}/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_admin_builds_a_trigger_and_rules_that_then_act(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server.url, ADMIN)
    api = Api(page, server.url)
    # A ticket from before the trigger existed: the dry run's subject.
    earlier = api.new_vip_ticket("Booking system down (before the trigger)")["number"]

    _new_definition(page, server.url, "triggers", "VIP urgent to L2")
    page.check("input[name=events][value=ticket_created]")
    _add_condition(page, "all", "Organization", "is", VIP_ORG)
    _add_condition(page, "all", "Priority", "is", "Urgent")
    assign = _add_action(page, "Assign")
    assign.get_by_label("Team", exact=True).select_option(label="Billing L2")
    notify = _add_action(page, "Notify")
    notify.get_by_label("To", exact=True).select_option(label="the desk's supervisors")
    notify.get_by_label("Text", exact=True).fill("Urgent VIP ticket {{ticket.number}}")
    trigger_id = _save(page, "triggers")

    saved = api.get(f"/triggers/{trigger_id}")
    assert saved["conditions"] == {
        "all": [
            {"field": "organization", "op": "is", "value": VIP_ORG},
            {"field": "priority", "op": "is", "value": "urgent"},
        ],
        "any": [],
    }
    assert saved["actions"] == [
        {"type": "assign", "team": "billing"},
        {"type": "notify", "to": "supervisors", "text": "Urgent VIP ticket {{ticket.number}}"},
    ]
    # The saved trigger comes back into the builder as it was built.
    assert _row(page, "all", 0).get_by_label("Value", exact=True).input_value() == f'"{VIP_ORG}"'
    assert (
        _row(page, "actions", 1)
        .get_by_label("Text", exact=True)
        .input_value()
        .startswith("Urgent VIP")
    )

    before = api.get(f"/tickets/{earlier}")
    assert (before["team"] or {}).get("slug") != "billing"
    page.fill("#dry-ticket", earlier)
    page.click("#dry-ticket ~ button[type=submit]")
    page.wait_for_selector("#dry-run-result >> text=It would act on this ticket.")
    plan = page.inner_text("#dry-run-result pre")
    assert '"billing"' in plan and SUPERVISOR in plan
    # A dry run changes nothing.
    assert api.get(f"/tickets/{earlier}")["team"] == before["team"]

    _new_definition(page, server.url, "rules", "Remind after 3 days")
    page.select_option("#id_status", "pending")
    page.fill("#id_hours", "72")
    mail = _add_action(page, "Send mail")
    mail.get_by_label("To", exact=True).select_option(label="the requester")
    mail.get_by_label("Subject", exact=True).fill("Reminder: {{ticket.number}}")
    mail.get_by_label("Message", exact=True).fill(
        "We are waiting for your answer, {{requester.name}}."
    )
    remind_id = _save(page, "rules")

    _new_definition(page, server.url, "rules", "Solve after 7 days")
    page.select_option("#id_status", "pending")
    page.fill("#id_hours", "168")
    solve = _add_action(page, "Set a field")
    solve.get_by_label("Field", exact=True).select_option(label="Status")
    solve.get_by_label("Value", exact=True).select_option(label="Solved")
    solve_id = _save(page, "rules")
    assert api.get(f"/scheduled-rules/{solve_id}")["actions"] == [
        {"type": "set", "field": "status", "value": "solved"}
    ]

    # A real matching ticket: assigned to the L2 team by the trigger, once.
    number = api.new_vip_ticket("Booking system down again")["number"]
    assert api.get(f"/tickets/{number}")["team"]["slug"] == "billing"
    api.send("PATCH", f"/tickets/{number}", {"status": "pending"})
    runs = [r for r in api.get(f"/triggers/{trigger_id}/runs") if r["ticket"] == number]
    assert len(runs) == 1 and runs[0]["outcome"] == "applied"
    assert len(api.events(number, "trigger_fired")) == 1

    _run_scheduled_rules(server, hours_later=80)
    applied = api.events(number, "rule_applied")
    assert [(e["after"]["rule"], e["after"]["outcome"]) for e in applied] == [
        (remind_id, "applied")
    ]
    assert api.get(f"/tickets/{number}")["status"] == "pending"
    _run_scheduled_rules(server, hours_later=170)
    applied = [e["after"]["rule"] for e in api.events(number, "rule_applied")]
    assert sorted(applied) == sorted([remind_id, solve_id])
    assert api.get(f"/tickets/{number}")["status"] == "solved"
    assert len(api.events(number, "trigger_fired")) == 1
    context.close()
