"""Forms of the automation setup pages; the checking itself is the services' (one set
of rules for pages and API), their field errors are put back on the form."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from deskline.automation.events import Event
from deskline.desks.models import Desk
from deskline.tickets.choices import Status

JSON_HELP = "JSON; see the API documentation for conditions and actions."


class DefinitionForm(forms.Form):
    desk = forms.ModelChoiceField(queryset=Desk.objects.none(), to_field_name="slug")
    name = forms.CharField(max_length=200)
    position = forms.IntegerField(min_value=0, max_value=100000, initial=0)
    is_active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, desks: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = desks
        if editing:
            self.fields["desk"].disabled = True

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors keyed like "actions.0.team" go under the form field "actions"."""
        for key, messages in error.message_dict.items():
            field, _, rest = key.partition(".")
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, f"{rest}: {message}" if rest else message)


class TriggerForm(DefinitionForm):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)
    conditions = forms.JSONField(initial=dict, required=False, help_text=JSON_HELP)
    actions = forms.JSONField(initial=list, help_text=JSON_HELP)


class RuleForm(DefinitionForm):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    status = forms.ChoiceField(choices=Status.choices)
    hours = forms.IntegerField(min_value=1, help_text="Hours in that status before acting.")
    conditions = forms.JSONField(initial=dict, required=False, help_text=JSON_HELP)
    actions = forms.JSONField(initial=list, help_text=JSON_HELP)


class MacroForm(DefinitionForm):
    team = forms.CharField(
        required=False, help_text="A team's slug to share with that team only; empty: the desk."
    )
    actions = forms.JSONField(initial=list, required=False, help_text=JSON_HELP)
    replies = forms.JSONField(
        initial=dict, required=False, help_text='{"en": "Hello {{requester.name}}", ...}'
    )
    reply_internal = forms.BooleanField(required=False)


class DryRunForm(forms.Form):
    ticket = forms.CharField(max_length=40)
