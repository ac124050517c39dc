"""Domain errors shared by the services; the API and pages turn them into responses.

NotFound and Forbidden are Django's own 404 and 403 too, so a page that lets one pass
answers 404 or 403 like any refused request, never a server error (the API maps them
by its own handlers, api/errors.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404


class NotFound(Http404):
    """The object does not exist or the user may not know it exists (HTTP 404)."""


class Forbidden(PermissionDenied):
    """The user may see the object but not do this to it (HTTP 403)."""


class Conflict(Exception):
    """The request is valid but the object's state forbids it (HTTP 409)."""
