"""Responses the serializers already built in their schema's exact shape.

django-ninja validates every response against its schema, wrapping each nested value
to read ORM attributes; for a page of 25 tickets that cost more than the page's
queries (bench/load.py, profile of GET /api/v1/tickets). Endpoints whose output comes
from `api/serializers.py` send it as is: the route keeps its response schema for the
OpenAPI document, and api/tests/test_trusted.py checks that both agree.
"""

from typing import Any

from django.http import HttpResponse

from deskline.api.renderer import UTF8JSONRenderer

_renderer = UTF8JSONRenderer()


def trusted_json(data: Any, status: int = 200) -> HttpResponse:
    body = _renderer.render(None, data, response_status=status)  # type: ignore[arg-type]
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
