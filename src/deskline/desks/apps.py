from django.apps import AppConfig


class DesksConfig(AppConfig):
    name = "deskline.desks"
    label = "desks"
