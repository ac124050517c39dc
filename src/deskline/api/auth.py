"""API authentication: bearer tokens for programs, the session (with CSRF) for the web UI.

Both count against a per-user request budget per minute (DESKLINE_API_RATE_LIMIT).
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from deskline.accounts.services import user_for_token
from deskline.core.ratelimit import seconds_to_wait


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests")
        self.retry_after = retry_after


def check_rate_limit(user_id: int) -> None:
    wait = seconds_to_wait(str(user_id), settings.API_RATE_LIMIT)
    if wait:
        raise RateLimited(retry_after=wait)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        check_rate_limit(user.pk)
        return user


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            check_rate_limit(user.pk)
        return user
