"""Automation test helpers: tasks run at once, ticket hooks run when callbacks are flushed,
a real HTTP receiver on loopback for webhooks."""

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deskline.accounts.models import Organization, User
from deskline.desks.models import Desk, Role, Team
from deskline.desks.services import create_team

# The mail app's real SMTP server and desk address: automation mail goes out its way.
from deskline.mail.tests.sink import it_address, smtp_sink  # noqa: F401


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Tasks run inside enqueue(), so mail and webhook tries happen in the test."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def hooks(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with hooks():` runs the after-commit work (ticket hooks, tasks) of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def desk_setup(
    it_desk: Desk, admin_user: User, agent_on: Callable[..., User], make_user: Callable[..., User]
) -> dict[str, Any]:
    supervisor = agent_on(it_desk, Role.SUPERVISOR, email="sue@example.com", name="Sue")
    l2_agent = agent_on(it_desk, Role.AGENT, email="lee@example.com", name="Lee")
    agent = agent_on(it_desk, Role.AGENT, email="amy@example.com", name="Amy")
    l2: Team = create_team(it_desk, name="L2", slug="l2", tier=2)
    l2.members.add(l2_agent)
    vip = Organization.objects.create(name="VIP Corp", domains=["vip.test"])
    vip_requester = make_user("boss@vip.test", name="Boss", organization=vip, is_employee=True)
    requester = make_user("sam@example.com", name="Sam", is_employee=True)
    return {
        "desk": it_desk,
        "admin": admin_user,
        "supervisor": supervisor,
        "agent": agent,
        "l2_agent": l2_agent,
        "l2": l2,
        "vip": vip,
        "vip_requester": vip_requester,
        "requester": requester,
    }


class Receiver:
    """Answers with the next queued status (then 200) and keeps what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"boom")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.DESKLINE_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def admin_client(desk_setup: dict[str, Any]) -> Any:
    """A browser-like client signed in as the desk_setup admin, for the setup pages."""
    from django.test import Client

    client = Client()
    client.force_login(desk_setup["admin"])
    return client
