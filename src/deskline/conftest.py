"""Fixtures shared by every app's tests: people in each role, desks, tickets, API clients."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from deskline.accounts.models import Organization, User
from deskline.accounts.services import create_api_token
from deskline.desks.models import Desk, Role
from deskline.desks.services import create_desk, set_desk_role
from deskline.tickets.models import Ticket
from deskline.tickets.services import open_ticket


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        call = getattr(self.client, method)
        if method in {"post", "patch", "put"} and "content_type" not in kwargs:
            kwargs["content_type"] = "application/json"
        if data is not None:
            kwargs["data"] = data
        return call(f"/api/v1{path}", headers=self.headers, **kwargs)

    def get(self, path: str, data: Any = None) -> Any:
        return self._call("get", path, data)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self._call("post", path, data, **kwargs)

    def patch(self, path: str, data: Any = None) -> Any:
        return self._call("patch", path, data)

    def put(self, path: str, data: Any = None) -> Any:
        return self._call("put", path, data)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)


@pytest.fixture(scope="module")
def browser() -> Any:
    """Debian's Chromium for one browser test module (see web/tests/served.py)."""
    from deskline.web.tests.served import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session", autouse=True)
def _empty_task_queue() -> None:
    """Jobs left in Redis by an earlier, interrupted run would be run by this run's
    `worker --batch` against this run's database."""
    from django.conf import settings

    if "django_tasks_rq" in settings.TASKS["default"]["BACKEND"]:
        import django_rq

        django_rq.get_queue("default").empty()


@pytest.fixture
def within_one_rate_window() -> None:
    """Rate limits count in fixed one-minute windows (core/ratelimit.py): a test that
    spends a budget and expects the next request refused fails when it straddles the
    end of a window. Near the end, it starts in the next one instead."""
    import time

    from deskline.core.ratelimit import WINDOW

    left = WINDOW - time.time() % WINDOW
    if left < 8:
        time.sleep(left + 0.05)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, **extra: Any) -> User:
        return User.objects.create_user(
            email or f"user{next(counter)}@example.com", password="pw-12345678", **extra
        )

    return make


@pytest.fixture
def admin_user(db: None) -> User:
    return User.objects.create_superuser("admin@example.com", "pw-12345678", name="Admin")


@pytest.fixture
def it_desk(db: None) -> Desk:
    return create_desk(name="IT", slug="it", prefix="IT", visibility="internal")


@pytest.fixture
def support_desk(db: None) -> Desk:
    return create_desk(name="Support", slug="support", prefix="SUP", visibility="external")


@pytest.fixture
def agent_on(make_user: Callable[..., User]) -> Callable[..., User]:
    def make(desk: Desk, role: str = Role.AGENT, **extra: Any) -> User:
        user = make_user(**extra)
        set_desk_role(desk, user, role, actor=None)
        return user

    return make


@pytest.fixture
def api_for() -> Callable[[User | None], ApiClient]:
    def make(user: User | None) -> ApiClient:
        return ApiClient(create_api_token(user) if user is not None else None)

    return make


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    def make(desk: Desk, requester: User, subject: str = "Printer on fire", **extra: Any) -> Ticket:
        extra.setdefault("body_text", "It is really on fire.")
        return open_ticket(desk=desk, subject=subject, requester=requester, **extra)

    return make


@pytest.fixture
def organization(db: None) -> Organization:
    return Organization.objects.create(name="Acme", domains=["acme.test"])
