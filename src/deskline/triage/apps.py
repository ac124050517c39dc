from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "deskline.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from deskline.triage import handlers

        handlers.register_all()
