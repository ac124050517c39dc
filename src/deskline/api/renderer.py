import json
from typing import Any

from django.http import HttpRequest
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class UTF8JSONRenderer(JSONRenderer):
    """JSON with Arabic and Chinese written as themselves, not as \\u escapes."""

    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False)
