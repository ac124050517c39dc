from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "deskline.search"
    label = "search"

    def ready(self) -> None:
        from deskline.search import hooks

        hooks.register()
