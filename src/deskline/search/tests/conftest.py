from collections.abc import Callable
from typing import Any

import pytest

from deskline.tickets.models import Ticket


@pytest.fixture
def indexed_ticket(
    make_ticket: Callable[..., Ticket], django_capture_on_commit_callbacks: Any
) -> Callable[..., Ticket]:
    """make_ticket, with the after-commit hooks (search indexing) run."""

    def make(*args: Any, **kwargs: Any) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            return make_ticket(*args, **kwargs)

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run fn(*args) and the hooks it triggers after commit."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
