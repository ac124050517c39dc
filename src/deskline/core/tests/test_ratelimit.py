"""The per-minute counter behind the API budget and the inbound webhook limit."""

import os
import subprocess
import sys
import uuid

import pytest

from deskline.core.ratelimit import WINDOW, seconds_to_wait

pytestmark = pytest.mark.usefixtures("within_one_rate_window")


def test_counts_per_bucket_and_answers_the_wait_when_over():
    # Buckets of our own: with REDIS_URL the counters are shared with other runs.
    first, second = (f"test-{uuid.uuid4().hex}" for _ in range(2))
    assert [seconds_to_wait(first, 2) for _ in range(2)] == [0, 0]
    wait = seconds_to_wait(first, 2)
    assert 1 <= wait <= WINDOW
    assert seconds_to_wait(second, 2) == 0  # another bucket has its own budget
    assert seconds_to_wait(first, 0) == 0  # 0: no limit


COUNT_IN_A_PROCESS = """
import sys, django
django.setup()
from deskline.core.ratelimit import seconds_to_wait
limit, tries = int(sys.argv[2]), int(sys.argv[3])
sys.stdin.readline()  # every process starts counting at the same moment
print(sum(seconds_to_wait(sys.argv[1], limit) == 0 for _ in range(tries)))
"""


@pytest.mark.parametrize(("limit", "fewest"), [(10, 10), (1000, 1000 - 3 * 9)])
def test_processes_of_one_install_share_the_counters(tmp_path, limit, fewest):
    """`deskline serve` runs several gunicorn workers: without Redis the budget must
    still be the install's, not each process's (which let N workers allow N times it).
    Never more than the limit; less only by the shares the processes hold unused
    (a hundredth of the limit each, less one), none for small limits."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="deskline.settings", DESKLINE_DATA_DIR=str(tmp_path),
               DESKLINE_SECRET_KEY="ratelimit-test")  # fmt: skip
    bucket = f"test-{uuid.uuid4().hex}"
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNT_IN_A_PROCESS, bucket, str(limit), str(limit)],
                         env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]  # fmt: skip
    for worker in workers:
        worker.stdin.write(b"go\n")
        worker.stdin.flush()
    allowed = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
        allowed.append(int(out))
    assert fewest <= sum(allowed) <= limit, allowed
