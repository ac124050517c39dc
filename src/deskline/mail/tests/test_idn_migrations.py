"""Addresses stored in "xn--" form before Unicode became the stored form are moved to it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("accounts", "0003_sign_in_failures"), ("mail", "0003_outbound_automation")]
AFTER = [("accounts", "0004_idn_emails_in_unicode"), ("mail", "0004_idn_emails_in_unicode")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_xn_addresses_move_to_unicode_unless_both_forms_exist():
    apps = _migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    for email in ("jana@xn--bcher-kva.example", "max@xn--bcher-kva.example",
                  "max@bücher.example", "odd@xn--abc-.example"):  # fmt: skip
        User.objects.create(email=email)
    Desk = apps.get_model("desks", "Desk")
    desk = Desk.objects.get_or_create(slug="it", defaults={"name": "IT", "prefix": "IT"})[0]
    addresses = apps.get_model("mail", "DeskAddress").objects
    addresses.create(desk=desk, email="it@xn--bcher-kva.example")
    apps.get_model("mail", "Bounce").objects.create(address="gone@xn--bcher-kva.example")
    try:
        apps = _migrate(AFTER)
        emails = set(apps.get_model("accounts", "User").objects.values_list("email", flat=True))
        # Both forms of max existed: left for an admin; an invalid "xn--" label stays.
        assert emails == {"jana@bücher.example", "max@xn--bcher-kva.example",
                          "max@bücher.example", "odd@xn--abc-.example"}  # fmt: skip
        address = apps.get_model("mail", "DeskAddress").objects.get()
        assert address.email == "it@bücher.example"
        assert apps.get_model("mail", "Bounce").objects.get().address == "gone@bücher.example"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
