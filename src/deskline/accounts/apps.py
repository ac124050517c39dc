from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "deskline.accounts"
    label = "accounts"
