from django.contrib import admin

from deskline.desks.models import Category, CustomField, Desk, DeskMembership, Team, TeamMembership


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
    list_display = ["key", "label", "field_type", "desk", "required"]
    list_filter = ["desk"]
