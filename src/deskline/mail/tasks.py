"""Thin tasks over the mail services (see scheduler/registry.py for the periodic ones)."""

from deskline.core.tasks import task


@task()
def send_outbound_mail(outbound_id: int) -> str:
    from deskline.mail.services.outbound import deliver

    return deliver(outbound_id)


@task()
def retry_outbound_mail() -> int:
    from deskline.mail.services.outbound import deliver_due

    return deliver_due()


@task()
def process_pending_mail() -> int:
    """Mail stored but not processed (a crash, a killed intake): process it now."""
    from deskline.mail.services.intake import process_pending

    return process_pending()


@task()
def poll_mailboxes() -> int:
    from deskline.mail.services.polling import poll_all

    return poll_all()
