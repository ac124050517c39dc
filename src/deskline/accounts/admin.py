from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from deskline.accounts.models import ApiToken, AuditEntry, Organization, User


class DesklineUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class DesklineUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = DesklineUserChangeForm
    add_form = DesklineUserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "organization", "is_employee", "is_superuser", "is_active"]
    list_filter = ["is_superuser", "is_employee", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {"fields": ["name", "organization", "is_employee", "language", "time_zone", "phone"]},
        ),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    filter_horizontal: list[str] = []


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "shared_tickets", "created_at"]
    search_fields = ["name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "user", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # tokens are created where their secret can be shown once


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
