"""Request bodies: JSON whose every string and number can be stored.

JSON may spell a UTF-16 surrogate on its own ("\\udfff"); Python reads it into a str
that no UTF-8 database, file or mail can hold, so storing it failed with a 500. Such
a body is refused here with the field that holds it. Python's reader also takes NaN,
Infinity and numbers too big for a float (1e400 becomes infinity), none of which JSON
has; they reached int() and Decimal as values no field can hold."""

import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja.parser import Parser

# Only a body that escapes a surrogate can hold a lone one; most bodies skip the walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_string_at(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first key or string holding a lone surrogate, else None."""
    if isinstance(value, str):
        return ".".join(path) or "body" if _has_lone_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _has_lone_surrogate(key):
                return ".".join((*path, "<key>")) if path else "body"
            found = _bad_string_at(item, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_string_at(item, (*path, str(index)))
            if found:
                return found
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


class JSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        body = request.body
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
        if _SURROGATE_ESCAPE.search(body):
            field = _bad_string_at(data)
            if field:
                # Ninja turns any error here into a bare 400; errors.py finds this one
                # behind it and answers with the field.
                raise ValidationError({field: "contains a lone UTF-16 surrogate, not text"})
        return data
