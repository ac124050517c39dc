from deskline.core.tasks import task


@task()
def triage_ticket(ticket_id: int) -> int:
    """Predict a new ticket's fields and link its similar tickets."""
    from deskline.triage.services import triage_ticket as run

    return len(run(ticket_id))


@task()
def retrain_models() -> dict[str, str]:
    """Periodic: retrain the models of desks whose resolved tickets changed."""
    from deskline.triage.services import retrain_all

    return retrain_all()


@task()
def prune_ticket_vectors() -> int:
    """Periodic: drop the similarity vectors of tickets no intake compares with."""
    from deskline.triage.services.similarity import prune_ticket_vectors as prune

    return prune()


@task()
def train_desk_model(desk_id: int, target: str) -> str:
    """Train one model now (an admin asked for it)."""
    from deskline.desks.models import Desk
    from deskline.triage.services import NotEnoughData, train_from_tickets

    desk = Desk.objects.get(pk=desk_id)
    try:
        return f"v{train_from_tickets(desk, target).version}"
    except NotEnoughData as exc:
        return f"skipped: {exc}"
