"""Address fields for models and forms that take what core.emails takes.

Django's EmailField (model and form) checks with its EmailValidator, which refuses a
Unicode local part (RFC 6531) that the rest of Deskline accepts: a model form (the admin
site's user forms) or a full_clean() (the API's user creation) would refuse an address
that mail intake and every service take. These check with check_email instead, and a
form stores the address in the one form the rest stores it in (normalize_email).
"""

from typing import Any

from django import forms
from django.db import models

from deskline.core.emails import check_email, normalize_email


class EmailAddressFormField(forms.EmailField):
    default_validators = [check_email]

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        return normalize_email(value) if value else value


class EmailAddressField(models.EmailField):
    default_validators = [check_email]

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": EmailAddressFormField, **kwargs})
