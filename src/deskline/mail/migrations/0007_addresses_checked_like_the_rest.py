# Desk addresses, bounces and outbound recipients check addresses with
# core.emails.check_email (RFC 6531 local parts) instead of Django's EmailValidator.
# The columns stay the same varchar(254), so only the state changes: AlterField alone
# would rebuild these tables on SQLite.

import deskline.core.email_fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0006_desk_address_requester_from_reply_to"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="bounce",
                    name="address",
                    field=deskline.core.email_fields.EmailAddressField(
                        max_length=254, unique=True
                    ),
                ),
                migrations.AlterField(
                    model_name="deskaddress",
                    name="email",
                    field=deskline.core.email_fields.EmailAddressField(
                        max_length=254, unique=True
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmail",
                    name="to",
                    field=deskline.core.email_fields.EmailAddressField(max_length=254),
                ),
            ],
            database_operations=[],
        ),
    ]
