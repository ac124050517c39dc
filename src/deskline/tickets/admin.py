from django.contrib import admin

from deskline.tickets.models import StatusDefinition, Tag, Ticket


@admin.register(StatusDefinition)
class StatusDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "base_status", "desk"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change through the services (API and console) so events are kept."""

    list_display = ["number", "subject", "status", "priority", "desk", "assignee", "updated_at"]
    list_filter = ["desk", "status", "priority"]
    search_fields = ["number", "subject"]
    show_full_result_count = False
    list_select_related = ["desk", "assignee"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
