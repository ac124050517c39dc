from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "deskline.api"
    label = "api"
