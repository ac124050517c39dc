"""Thin tasks over automation's services."""

from django.conf import settings
from django.core.mail import EmailMessage

from deskline.core.tasks import task


@task()
def send_ticket_mail(ticket_id: int, recipients: list[str], subject: str, body: str) -> int:
    """Mail a trigger or rule sent about a ticket (until the mail app has an outbound API)."""
    from deskline.tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=ticket_id).only("number").first()
    # The exact bracketed tag: a bare substring test takes [IT-12] for IT-1's own
    # number, and the requester's answer then threads to the wrong ticket.
    prefix = f"[{ticket.number}] " if ticket and f"[{ticket.number}]" not in subject else ""
    message = EmailMessage(
        subject=f"{prefix}{subject}"[:998],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Auto-Submitted": "auto-generated"},
    )
    return message.send()


@task()
def deliver_webhook(delivery_id: int) -> str:
    from deskline.automation.services.webhooks import attempt

    delivery = attempt(delivery_id)
    return delivery.status if delivery else "skipped"


@task()
def retry_webhook_deliveries() -> int:
    from deskline.automation.services.webhooks import retry_due

    return retry_due()


@task()
def run_scheduled_rules() -> int:
    from deskline.automation.services.rules import run_rules

    return sum(run_rules().values())
