"""No request to the API is a server error, whatever its parameters and body.

Schemathesis reads the API's own OpenAPI document and, for every operation, sends the
schema's boundary values (null where a value is required, numbers beyond 64 bits,
digits of other scripts, wrong types) and generated requests, valid and invalid,
through the real WSGI application and database in-process; any 5xx fails. A fixed seed
and few generated examples keep the run short and repeatable; docs/architecture.md
("Fuzzing the API") gives the command that sends many more to a served install.
"""

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as examples  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from deskline.accounts.services import create_api_token  # noqa: E402
from deskline.desks.services import create_category, create_team  # noqa: E402

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def admin_token(
    settings, admin_user, it_desk, support_desk, make_ticket, make_user
) -> Iterator[str]:
    settings.API_RATE_LIMIT = 0  # a limit reached would answer 429 instead of the operation
    create_team(it_desk, name="L1", slug="l1", tier=1)
    create_category(it_desk, name="Hardware", slug="hw")
    make_ticket(it_desk, make_user("sam@example.com"))
    # As Django's test client does: around each request the handler would close the
    # connection, which holds the test's transaction (a no-op on in-memory SQLite only).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield create_api_token(admin_user)
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@examples(
    max_examples=3,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_is_a_server_error(case, admin_token):
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error])
