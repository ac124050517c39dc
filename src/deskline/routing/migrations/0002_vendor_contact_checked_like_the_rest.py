# A vendor's contact address is checked with core.emails.check_email (RFC 6531 local
# parts) instead of Django's EmailValidator. Same varchar(254) column: state only, since
# AlterField alone would rebuild the table on SQLite.

import deskline.core.email_fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="vendor",
                    name="contact_email",
                    field=deskline.core.email_fields.EmailAddressField(max_length=254),
                ),
            ],
            database_operations=[],
        ),
    ]
