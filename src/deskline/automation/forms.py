"""Forms of the automation setup pages; the checking itself is the services' (one set
of rules for pages and API), their field errors are put back on the form."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.automation.events import Event
from deskline.desks.models import Desk
from deskline.tickets.choices import Status
from deskline.web.labels import LABELS

JSON_HELP = _("JSON; see the API documentation for conditions and actions.")


def json_area() -> forms.Textarea:
    # JSON reads left to right on Arabic pages too.
    return forms.Textarea(attrs={"dir": "ltr", "rows": 8})


DEFINITION_FIELDS = ("desk", "name", "position", "is_active")


class DefinitionForm(forms.Form):
    desk = forms.ModelChoiceField(
        queryset=Desk.objects.none(), to_field_name="slug", label=_("Desk")
    )
    name = forms.CharField(max_length=200, label=_("Name"))
    position = forms.IntegerField(
        min_value=0, max_value=100000, initial=0, label=_("Position (lower runs first)")
    )
    is_active = forms.BooleanField(required=False, initial=True, label=_("Active"))

    def __init__(self, *args: Any, desks: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = desks
        if editing:
            self.fields["desk"].disabled = True

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors keyed like "actions.0.team" go under the form field "actions"."""
        for key, messages in error.message_dict.items():
            field, _sep, rest = key.partition(".")
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, f"{rest}: {message}" if rest else message)


class ConditionalForm(DefinitionForm):
    """Triggers and scheduled rules: conditions to check, actions to take."""

    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Description")
    )
    conditions = forms.JSONField(
        initial=dict,
        required=False,
        help_text=JSON_HELP,
        widget=json_area(),
        label=_("Conditions"),
    )
    actions = forms.JSONField(
        initial=list, help_text=JSON_HELP, widget=json_area(), label=_("Actions")
    )


class TriggerForm(ConditionalForm):
    field_order = (*DEFINITION_FIELDS, "description", "events", "conditions", "actions")
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label=_("Events")
    )


class RuleForm(ConditionalForm):
    field_order = (*DEFINITION_FIELDS, "description", "status", "hours", "conditions", "actions")
    status = forms.ChoiceField(
        choices=[(s.value, LABELS["status"][s.value]) for s in Status], label=_("Status")
    )
    hours = forms.IntegerField(
        min_value=1, help_text=_("Hours in that status before acting."), label=_("Hours")
    )


class MacroForm(DefinitionForm):
    team = forms.CharField(
        required=False,
        label=_("Team"),
        help_text=_("A team's slug to share with that team only; empty: the desk."),
    )
    actions = forms.JSONField(
        initial=list, required=False, help_text=JSON_HELP, widget=json_area(), label=_("Actions")
    )
    replies = forms.JSONField(
        initial=dict,
        required=False,
        label=_("Reply text per language"),
        help_text='{"en": "Hello {{requester.name}}", ...}',
    )
    reply_internal = forms.BooleanField(required=False, label=_("Reply as an internal note"))


class DryRunForm(forms.Form):
    ticket = forms.CharField(max_length=40, label=_("Ticket number"))
