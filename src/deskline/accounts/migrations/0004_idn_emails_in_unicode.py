"""Addresses at internationalized domains stored in their "xn--" form move to the Unicode
form that core.emails.normalize_email now stores, so that the next mail (in either
form) finds its account. Where both forms already exist (two accounts made before
this), both are left for an admin to merge."""

import unicodedata

from django.db import migrations


def _unicode_email(email: str) -> str:
    # A frozen copy of core.emails.normalize_email for the "xn--" case: migrations
    # must not change with the code.
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
    User = apps.get_model("accounts", "User")
    for pk, email in User.objects.filter(email__contains="xn--").values_list("pk", "email"):
        unicode_email = _unicode_email(email)
        if unicode_email != email and not User.objects.filter(email=unicode_email).exists():
            User.objects.filter(pk=pk).update(email=unicode_email)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_sign_in_failures")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
