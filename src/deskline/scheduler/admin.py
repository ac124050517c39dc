from django.contrib import admin

from deskline.scheduler.models import Schedule


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "task_path", "cron", "enabled", "next_run_at", "last_run_at"]
    list_editable = ["enabled"]
