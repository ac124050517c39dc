"""Desk addresses and bounce records at internationalized domains move from the "xn--"
form to the Unicode form that core.emails.normalize_email now stores (see
accounts 0004); where both forms exist, both are left."""

import uuid
from importlib import import_module

from django.db import migrations

# The frozen conversion of accounts 0004 (itself a copy of what core.emails did then),
# so both apps' addresses move to the very same form.
_accounts_0004 = import_module("deskline.accounts.migrations.0004_idn_emails_in_unicode")
_unicode_email = _accounts_0004._unicode_email


def forward(apps, schema_editor):
    for model, field in (("DeskAddress", "email"), ("Bounce", "address")):
        rows = apps.get_model("mail", model).objects
        for pk, email in rows.filter(**{f"{field}__contains": "xn--"}).values_list("pk", field):
            unicode_email = _unicode_email(email)
            if unicode_email != email and not rows.filter(**{field: unicode_email}).exists():
                rows.filter(pk=pk).update(**{field: unicode_email})
    # The desk addresses changed: every process reads them again (services.addresses).
    apps.get_model("mail", "AddressesVersion").objects.filter(pk=1).update(token=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_idn_emails_in_unicode"),
        ("mail", "0003_outbound_automation"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
