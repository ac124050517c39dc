from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from deskline.core.tasks import default_task_backend
from deskline.scheduler.models import Schedule
from deskline.scheduler.services import ensure_default_schedules, next_run, run_due_schedules


def test_next_run_follows_cron():
    after = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert next_run("17 3 * * *", after) == datetime(2026, 3, 2, 3, 17, tzinfo=UTC)
    assert next_run("*/5 * * * *", after) == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_due_schedule_is_enqueued_once_and_advanced():
    ensure_default_schedules()
    schedule = Schedule.objects.get(name="prune-task-results")
    now = schedule.next_run_at + timedelta(seconds=1)
    assert "prune-task-results" in run_due_schedules(now)
    # A second tick at the same moment finds nothing due: no double run.
    assert run_due_schedules(now) == []
    schedule.refresh_from_db()
    assert schedule.last_run_at == now
    assert schedule.next_run_at > now


@pytest.mark.django_db(transaction=True)
def test_broken_schedule_records_its_error_and_others_still_run():
    now = datetime(2026, 5, 1, tzinfo=UTC)
    Schedule.objects.create(
        name="a-broken", task_path="deskline.nope.task", cron="* * * * *", next_run_at=now
    )
    Schedule.objects.create(
        name="b-good",
        task_path="deskline.scheduler.tasks.prune_task_results",
        cron="* * * * *",
        next_run_at=now,
    )
    assert run_due_schedules(now) == ["a-broken", "b-good"]
    broken = Schedule.objects.get(name="a-broken")
    assert "ModuleNotFoundError" in broken.last_error or "ImportError" in broken.last_error
    assert Schedule.objects.get(name="b-good").last_error == ""


@pytest.mark.django_db(transaction=True)
def test_worker_runs_an_enqueued_task_to_success():
    from deskline.scheduler.tasks import prune_task_results

    result = prune_task_results.enqueue()
    call_command("worker", batch=True, no_fork=True)
    result = default_task_backend.get_result(result.id)
    assert result.status.name == "SUCCESSFUL"
