"""The per-minute counter behind the API budget and the inbound webhook limit."""

import uuid

from deskline.core.ratelimit import WINDOW, seconds_to_wait


def test_counts_per_bucket_and_answers_the_wait_when_over():
    # Buckets of our own: with REDIS_URL the counters are shared with other runs.
    first, second = (f"test-{uuid.uuid4().hex}" for _ in range(2))
    assert [seconds_to_wait(first, 2) for _ in range(2)] == [0, 0]
    wait = seconds_to_wait(first, 2)
    assert 1 <= wait <= WINDOW
    assert seconds_to_wait(second, 2) == 0  # another bucket has its own budget
    assert seconds_to_wait(first, 0) == 0  # 0: no limit
