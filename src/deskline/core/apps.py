from django.apps import AppConfig, apps


class CoreConfig(AppConfig):
    name = "deskline.core"
    label = "core"

    def ready(self) -> None:
        if apps.is_installed("django_rq"):  # the task queue is on Redis (REDIS_URL)
            from deskline.core import rq_connection

            rq_connection.install()
