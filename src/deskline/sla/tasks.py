from deskline.core.tasks import task


@task()
def check_sla() -> dict[str, int]:
    """The periodic SLA pass: warnings, breaches and "nothing slips" flags now due."""
    from deskline.sla.services.breaches import check_all_due
    from deskline.sla.services.slips import check_slips

    done = check_all_due()
    done["flagged"] = check_slips()
    return done
