"""Database ids from outside input. Ids beyond a 64-bit integer cannot exist, so they are
treated as unknown instead of reaching the database (where they would overflow)."""

from typing import Annotated

from django.db.models import Q
from pydantic import Field

MAX_ID = 2**63 - 1

# For ids in API paths, queries and bodies.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(value: object) -> int | None:
    """The id in `value` when it is all decimal digits and in range, else None.

    Decimal digits of any script count (Arabic-Indic ٤٢ is 42, as int() reads it);
    isdigit() would also pass superscripts and circled digits, which int() refuses."""
    text = str(value).strip()
    if not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def looks_numeric(value: object) -> bool:
    return str(value).strip().isdecimal()


def pk_or(value: object, field: str) -> Q:
    """Match by primary key when `value` is numeric, else by `field` (lower-cased)."""
    text = str(value).strip()
    if looks_numeric(text):
        number = parse_id(text)
        return Q(pk=number) if number is not None else Q(pk__in=[])
    return Q(**{field: text.lower()})
