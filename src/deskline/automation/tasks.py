"""Thin tasks over automation's services."""

from django.db import transaction

from deskline.core.tasks import task


@task()
def send_ticket_mail(ticket_id: int, recipients: list[str], subject: str, body: str) -> int:
    """Mail a trigger or rule queued about a ticket before it went through the mail app.

    Triggers and rules now hand their mail to the mail app themselves; this stays so
    tasks already queued under this name still send, by the same outbound path. Returns
    how many recipients will be sent the mail (not suppressed).
    """
    from deskline.mail.models.outbound import OutboundState
    from deskline.mail.services.outbound import schedule_automatic_mail
    from deskline.tickets.models import Ticket

    ticket = Ticket.objects.select_related("desk", "requester").filter(pk=ticket_id).first()
    if ticket is None:
        return 0  # deleted since: nothing to write about
    with transaction.atomic():  # the sends are queued once the rows are committed
        rows = schedule_automatic_mail(ticket, recipients, subject, body)
    return sum(1 for row in rows if row.state != OutboundState.SUPPRESSED)


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
