from django.db import migrations


def fill(apps, schema_editor):
    # Tickets with running timers get the due time of the soonest one.
    from deskline.sla.services.attention import refresh

    refresh(
        timer_model=apps.get_model("sla", "SlaTimer"),
        ticket_model=apps.get_model("tickets", "Ticket"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0003_fill_sla_attention"),
        ("tickets", "0005_sla_due"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
