from django.db import migrations


def fill(apps, schema_editor):
    # Tickets that already have timers get the moment their SLA needs attention.
    from deskline.sla.services.attention import refresh

    refresh(
        timer_model=apps.get_model("sla", "SlaTimer"),
        ticket_model=apps.get_model("tickets", "Ticket"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0002_live_timer_indexes"),
        ("tickets", "0004_sla_attention"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
