"""Pages readers without an account may open (the help center, search): a per-minute
budget per client address, shared with the public API (core.ratelimit.anonymous_wait),
so one address cannot flood the search behind them. Signed-in users are not counted."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deskline.core.clients import client_address
from deskline.core.ratelimit import anonymous_wait


def limit_anonymous(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            wait = anonymous_wait(client_address(request))
            if wait:
                response = render(request, "web/too_many_requests.html", status=429)
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return limited
