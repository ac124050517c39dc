from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "deskline.core"
    label = "core"
