from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from deskline.desks.models import Category, CustomField, Desk, DeskMembership, Team, TeamMembership
from deskline.desks.services import (
    CUSTOM_FIELD_FIELDS,
    REQUESTER_VISIBILITY,
    create_custom_field,
    may_show_fields_to_requesters,
    update_custom_field,
)


class MembershipInline(admin.TabularInline):
    model = DeskMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "prefix", "visibility", "is_active"]
    exclude = ["next_sequence"]
    inlines = [MembershipInline]


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "desk", "slug", "tier"]
    list_filter = ["desk"]
    inlines = [TeamMembershipInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "name", "desk"]
    list_filter = ["desk"]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    """Saves through the desk services, as the API does: the same refusals, and an
    audit entry for every field made or changed here."""

    list_display = ["key", "label", "field_type", "desk", "required", REQUESTER_VISIBILITY]
    list_filter = ["desk"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Ticket values are keyed by the field's desk; moving it would strand them.
            readonly.append("desk")
        if not may_show_fields_to_requesters(request.user):  # type: ignore[arg-type]
            readonly.append(REQUESTER_VISIBILITY)
        return readonly

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        actor = request.user
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in CUSTOM_FIELD_FIELDS
            }
            saved = update_custom_field(CustomField.objects.get(pk=obj.pk), changes, actor=actor)
        else:
            values = {k: v for k, v in form.cleaned_data.items() if k in CUSTOM_FIELD_FIELDS}
            saved = create_custom_field(form.cleaned_data["desk"], actor=actor, **values)
        # The admin's own log and redirect read the object it handed in.
        obj.pk = saved.pk
        obj.visible_to_requester = saved.visible_to_requester
