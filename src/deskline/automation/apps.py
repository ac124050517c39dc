from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "deskline.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from deskline.automation import handlers

        handlers.register_all()
