# The hook's sender address is checked with core.emails.check_email (RFC 6531 local parts)
# instead of Django's EmailValidator. The column stays varchar(254), so only the state
# changes.

import deskline.core.email_fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="inboundhook",
                    name="sender_email",
                    field=deskline.core.email_fields.EmailAddressField(max_length=254),
                ),
            ],
            database_operations=[],
        ),
    ]
