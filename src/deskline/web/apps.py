from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "deskline.web"
    label = "web"

    def ready(self) -> None:
        from deskline.tickets.services import hooks
        from deskline.web.live import publish

        for kind in hooks.KINDS:
            hooks.register(kind, publish, transactional=True)
