from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "deskline.routing"
    label = "routing"

    def ready(self) -> None:
        from deskline.routing import handlers

        handlers.register_all()
