from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "deskline.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Agent replies go out by mail through the ticket hooks (after commit); the
        # ticket services never import mail.
        from django.db.models.signals import post_delete, post_save

        from deskline.desks.models import Desk
        from deskline.mail import handlers
        from deskline.mail.models import DeskAddress
        from deskline.mail.services.addresses import addresses_changed

        handlers.register_all()
        # The intake keeps desk addresses and their desks in memory (services.addresses);
        # any change to either tells every process to read them again.
        for model in (Desk, DeskAddress):
            for signal in (post_save, post_delete):
                signal.connect(
                    addresses_changed, sender=model, dispatch_uid=f"mail-addresses-{model.__name__}"
                )
