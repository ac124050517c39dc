"""Domain errors shared by the services; the API and pages turn them into responses."""


class NotFound(Exception):
    """The object does not exist or the user may not know it exists (HTTP 404)."""


class Forbidden(Exception):
    """The user may see the object but not do this to it (HTTP 403)."""


class Conflict(Exception):
    """The request is valid but the object's state forbids it (HTTP 409)."""
