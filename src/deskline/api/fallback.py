"""The answer for an /api/ address that reaches no endpoint: JSON like the rest of the
API, not Django's HTML page (a client mistyping a path got an HTML 404)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        detail = f"no API endpoint at {request.path}; see /api/v1/openapi.json"
        return JsonResponse(
            {"detail": detail}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return defaults.page_not_found(request, exception)
