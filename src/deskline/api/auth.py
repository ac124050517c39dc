"""API authentication: bearer tokens for programs, the session (with CSRF) for the web UI.

Both count against a per-user request budget per minute (DESKLINE_API_RATE_LIMIT).
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from deskline.accounts.services import user_for_token


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests")
        self.retry_after = retry_after


def check_rate_limit(user_id: int) -> None:
    limit = settings.API_RATE_LIMIT
    if not limit:
        return
    window = int(time.time() // 60)
    key = f"ratelimit:{user_id}:{window}"
    # add() then incr() keeps the counter atomic on Redis and within a process otherwise.
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=60 - int(time.time()) % 60)


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
