from deskline.core.tasks import task


@task()
def assign_waiting_tickets() -> int:
    """Tickets that found no available agent when they arrived get another chance."""
    from deskline.routing.services.assignment import assign_waiting

    return assign_waiting()


@task()
def reassign_absent() -> int:
    """Open tickets of agents away or off shift too long go to available colleagues."""
    from deskline.routing.services.assignment import reassign_from_absent

    return reassign_from_absent()
