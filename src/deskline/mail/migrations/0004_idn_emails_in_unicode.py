"""Desk addresses and bounce records at internationalized domains move from the "xn--"
form to the Unicode form that core.emails.normalize_email now stores (see
accounts 0004); where both forms exist, both are left."""

import unicodedata
import uuid

from django.db import migrations


def _unicode_email(email: str) -> str:
    # A frozen copy of core.emails.normalize_email for the "xn--" case.
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
                again = "xn--" + decoded.encode("punycode").decode("ascii")
            except (UnicodeError, ValueError, IndexError):
                decoded, again = label, label
            if again == label and not decoded.isascii():
                label = decoded
        labels.append(label)
    return unicodedata.normalize("NFC", f"{local}@{'.'.join(labels).lower()}")


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
    dependencies = [("mail", "0003_outbound_automation")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
