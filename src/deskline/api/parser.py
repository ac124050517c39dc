"""Request bodies: JSON whose every string and number can be stored.

JSON may spell a UTF-16 surrogate on its own ("\\udfff"); Python reads it into a str
that no UTF-8 database, file or mail can hold, so storing it failed with a 500. A NUL
("\\u0000") is no text either: PostgreSQL refused it (a 422 naming no field) while
SQLite stored it. Such a body is refused here with the field that holds it. Python's
reader also takes NaN, Infinity and numbers too big for a float (1e400 becomes
infinity), none of which JSON has; they reached int() and Decimal as values no field
can hold."""

import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja.parser import Parser

# Only a body that escapes a surrogate or NUL can hold one; most bodies skip the walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")


def _problem(text: str) -> str | None:
    """What makes this string unstorable, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), not text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate, not text"
    return None


def _bad_string_at(value: Any, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(dotted path, problem) of the first unstorable key or string, else None."""
    if isinstance(value, str):
        problem = _problem(value)
        return (".".join(path) or "body", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _problem(key)
            if problem:
                return (".".join((*path, "<key>")) if path else "body", problem)
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
        if _SUSPECT_ESCAPE.search(body):
            found = _bad_string_at(data)
            if found:
                # Ninja turns any error here into a bare 400; errors.py finds this one
                # behind it and answers with the field.
                raise ValidationError({found[0]: found[1]})
        return data
