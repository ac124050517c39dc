from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "deskline.scheduler"
    label = "scheduler"
