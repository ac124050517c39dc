"""API test helpers: the shared `api_for`, made cheap enough for large parametrized tables.

A new django.test.Client builds the whole middleware chain on its first request,
WhiteNoise scanning every static file included (tens of ms). The clients made here
share one already-built handler; each still sends its own bearer token.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from django.test.client import ClientHandler

from deskline.accounts.models import User
from deskline.accounts.services import create_api_token
from deskline.conftest import ApiClient


@pytest.fixture(scope="session")
def shared_client_handler() -> ClientHandler:
    return ClientHandler(enforce_csrf_checks=False)


@pytest.fixture(scope="session")
def api_client_for_token(shared_client_handler: ClientHandler) -> Callable[[str | None], ApiClient]:
    """An ApiClient for a token secret (None: no Authorization header)."""

    def make(token: str | None) -> ApiClient:
        api = ApiClient(token)
        api.client.handler = shared_client_handler
        return api

    return make


@pytest.fixture
def api_for(
    db: None, api_client_for_token: Callable[[str | None], ApiClient]
) -> Callable[[User | None], ApiClient]:
    def make(user: User | None) -> ApiClient:
        return api_client_for_token(create_api_token(user) if user is not None else None)

    return make


@contextmanager
def shared_data(django_db_blocker: Any, build: Callable[[], Any]) -> Iterator[Any]:
    """Data built once for a module or class, for module- or class-scoped fixtures.

    It is built inside a transaction that is rolled back when the fixture ends; every
    test (through the `db` fixture) runs in a savepoint within it, so tests still do not
    see each other's changes.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
