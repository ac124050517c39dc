"""A task for the tests: the worker is busy with it for as long as it is told."""

import time

from deskline.core.tasks import task


@task()
def pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
