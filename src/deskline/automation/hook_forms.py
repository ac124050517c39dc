"""Forms of the webhook setup pages; the services check URLs and events."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deskline.automation.events import Event
from deskline.automation.forms import DefinitionForm
from deskline.core.email_fields import EmailAddressFormField
from deskline.desks.models import Desk


class WebhookForm(DefinitionForm):
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        help_text=_("Deliveries are POSTed here as signed JSON (header X-Deskline-Signature)."),
    )
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A webhook has no run order.
        del self.fields["position"]


class InboundHookForm(forms.Form):
    desk = forms.ModelChoiceField(queryset=Desk.objects.none(), to_field_name="slug")
    name = forms.CharField(max_length=200)
    sender_email = EmailAddressFormField(
        help_text=_("Tickets from this hook are requested by this address (the alerting system).")
    )
    sender_name = forms.CharField(max_length=200, required=False)
    subject_path = forms.CharField(
        max_length=200,
        initial="title",
        help_text=_("Dotted path of the subject in the alert JSON."),
    )
    body_path = forms.CharField(max_length=200, initial="message")
    key_path = forms.CharField(
        max_length=200,
        initial="alert_key",
        help_text=_("Repeats of an alert with the same key join its open ticket."),
    )

    def __init__(self, *args: Any, desks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = desks
