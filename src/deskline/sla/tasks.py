from deskline.core.tasks import task


@task()
def check_sla() -> dict[str, int]:
    """The periodic SLA pass: warnings, breaches and "nothing slips" flags now due."""
    from deskline.sla.services.breaches import check_all_due
    from deskline.sla.services.slips import check_slips

    done = check_all_due()
    done["flagged"] = check_slips()
    return done


@task()
def apply_breach_actions(items: list[list]) -> None:
    """Breach actions queued by a tick: [ticket id, policy id, metric] per timer."""
    from deskline.sla.services.breaches import run_breach_actions

    run_breach_actions(items)


@task()
def resync_desk_timers(desk_id: int) -> int:
    """A desk's SLA policies changed: its unfinished tickets take the new targets."""
    from deskline.sla.services.resync import resync_desk

    return resync_desk(desk_id)


@task()
def reschedule_calendar_timers(calendar_id: int) -> int:
    """A business calendar changed: running timers on it get new due times."""
    from deskline.sla.services.resync import reschedule_calendar

    return reschedule_calendar(calendar_id)
