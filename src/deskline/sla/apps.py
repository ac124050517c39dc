from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "deskline.sla"
    label = "sla"
    verbose_name = "SLAs"

    def ready(self) -> None:
        from deskline.sla import handlers

        handlers.register_all()
