from django.contrib import admin

from deskline.triage.models import DeskTriage, IncidentCluster, Prediction, TriageModel


@admin.register(DeskTriage)
class DeskTriageAdmin(admin.ModelAdmin):
    list_display = ("desk", "auto_merge_duplicates")
    list_editable = ("auto_merge_duplicates",)
    list_display_links = ("desk",)


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = ("desk", "target", "version", "rows", "trained_at", "active")
    list_filter = ("target", "active", "desk")
    readonly_fields = ("metrics",)


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("ticket", "field", "label", "confidence", "outcome", "created_at")
    list_filter = ("field", "outcome")
    raw_id_fields = ("ticket", "model", "decided_by")


@admin.register(IncidentCluster)
class IncidentClusterAdmin(admin.ModelAdmin):
    list_display = ("subject", "desk", "requester_count", "detected_at", "open")
    list_filter = ("open", "desk")
    filter_horizontal = ()
    raw_id_fields = ("tickets",)
