"""Every failure the API can foresee becomes a 4xx with a message that names the field."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from deskline.api.auth import RateLimited
from deskline.core.errors import Conflict, Forbidden, NotFound


def _field_name(location: tuple[Any, ...]) -> str:
    # Ninja prefixes locations with where they came from ("body", "payload", "query").
    parts = [str(p) for p in location]
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "form", "file"}:
        parts = parts[1:]
    if parts and parts[0] in {"payload", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def error_body(errors: list[dict[str, str]]) -> dict[str, Any]:
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return {"detail": detail, "errors": errors}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(SchemaValidationError)
    def schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors
        ]
        return api.create_response(request, error_body(errors), status=422)

    @api.exception_handler(DjangoValidationError)
    def domain_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": field, "message": " ".join(str(m) for m in messages)}
                for field, messages in exc.message_dict.items()
            ]
        else:
            errors = [{"field": "body", "message": " ".join(exc.messages)}]
        return api.create_response(request, error_body(errors), status=422)

    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
        # Last line of defence: the database refused a value (too long, out of range)
        # that the schemas let through. The client sent it, so it is a 422, not a 500.
        errors = [{"field": "body", "message": f"a value was refused by the database: {exc}"}]
        return api.create_response(request, error_body(errors), status=422)

    @api.exception_handler(OverflowError)
    def number_too_large(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # The same defence for SQLite, which cannot even take a number beyond 64 bits as
        # a parameter (PostgreSQL compares it and finds nothing).
        errors = [{"field": "body", "message": "a number is beyond the range of 64-bit integers"}]
        return api.create_response(request, error_body(errors), status=422)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=404)

    @api.exception_handler(Forbidden)
    def forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=403)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = api.create_response(
            request, {"detail": f"rate limit reached; retry in {exc.retry_after} s"}, status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": "authentication required: send 'Authorization: Bearer <token>'"},
            status=401,
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        detail = f"the request body is larger than {limit} MB; send files as attachments"
        return api.create_response(request, {"detail": detail}, status=413)

    @api.exception_handler(MultiPartParserError)
    def multipart_unreadable(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        errors = [
            {"field": "file", "message": f"the multipart/form-data body is unreadable: {exc}"}
        ]
        return api.create_response(request, error_body(errors), status=400)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, DjangoValidationError):
            # The body parser's own refusal (api/parser.py), which Ninja wraps in a 400.
            return domain_invalid(request, cause)
        if isinstance(cause, ValueError) and str(exc) == "Cannot parse request body":
            # Not JSON (or not UTF-8): say where it broke, as json.loads does.
            detail = f"the request body is not JSON: {cause}"
            return api.create_response(request, {"detail": detail}, status=400)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
