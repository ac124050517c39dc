from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "deskline.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from deskline.notifications import mentions
        from deskline.tickets.services import hooks

        hooks.register(hooks.MESSAGE_ADDED, mentions.on_message_added)
