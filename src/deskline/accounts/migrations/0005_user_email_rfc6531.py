# The email field checks addresses with core.emails.check_email (RFC 6531 local parts)
# instead of Django's EmailValidator. The column is the same varchar(254) unique, so
# only the state changes: AlterField alone would rebuild the user table on SQLite.

import deskline.core.email_fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_idn_emails_in_unicode"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="email",
                    field=deskline.core.email_fields.EmailAddressField(
                        max_length=254, unique=True
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
