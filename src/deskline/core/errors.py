"""Domain errors shared by the services; the API and pages turn them into responses.

NotFound and Forbidden are Django's own 404 and 403 too, so a page that lets one pass
answers 404 or 403 like any refused request, never a server error (the API maps them
by its own handlers, api/errors.py).

A service's message is marked with gettext_lazy and, where it names something, built
with `lazy_message()`: it stays a lazy text until it is shown, so a page renders it in its
reader's language while the API, which speaks English only (api/middleware.py), and the
logs and records (`english()`) keep the English wording clients and tests rely on."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise, lazy


class NotFound(Http404):
    """The object does not exist or the user may not know it exists (HTTP 404)."""


class Forbidden(PermissionDenied):
    """The user may see the object but not do this to it (HTTP 403)."""


class Conflict(Exception):
    """The request is valid but the object's state forbids it (HTTP 409)."""


def _interpolate(text: str | Promise, params: dict[str, Any]) -> str:
    return str(text) % params


_lazy_interpolate = lazy(_interpolate, str)


def lazy_message(text: str | Promise, **params: Any) -> str:
    """`text % params`, done only when the message is shown, in the language then active.

    `gettext_lazy(...) % params` would translate at once: in the request that raised
    it, whatever language that request had, and never again."""
    return _lazy_interpolate(text, params) if params else text  # type: ignore[return-value]


def english(exc: Exception) -> str:
    """An error's text for logs and stored records, which read the same for everyone."""
    with translation.override("en"):
        return str(exc)
