"""The changes a PATCH body asks for, checked against the model they go to."""

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from ninja import Schema


def patch_changes(payload: Schema, model: type[Model]) -> dict[str, Any]:
    """The keys the client sent. null clears a field only where the model can store no
    value; elsewhere it is refused by name (a blank text field passes model validation
    with None and would only fail at the database)."""
    changes = payload.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is not None:
            continue
        try:
            nullable = model._meta.get_field(name).null
        except FieldDoesNotExist:
            continue
        if not nullable:
            raise ValidationError({name: "may not be null; send a value, or leave the key out"})
    return changes
