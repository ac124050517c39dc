"""Background work of the tickets app."""

from deskline.core.tasks import task
from deskline.tickets.services import hooks


@task()
def run_ticket_hooks(change: dict) -> None:
    """Run the other apps' deferred handlers for one committed ticket change."""
    hooks.run_deferred(hooks.TicketChange.from_task_args(change))
