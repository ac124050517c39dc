from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "deskline.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Agent replies go out by mail through the ticket hooks (after commit); the
        # ticket services never import mail.
        from deskline.mail import handlers

        handlers.register_all()
