"""Django's mail API over DESKLINE_SMTP_URL, for the mail that does not go through the
mail app's outbound queue (notifications and their digests, password links).

Without a URL nothing goes out: as for replies, a desk without a mail server sends no
mail, rather than trying port 25 of this machine and failing every time."""

from collections.abc import Sequence
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from deskline.mail import config


class SmtpUrlBackend(EmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        # Read when the backend is made, as the mail app reads it: tests and a changed
        # environment see the URL in force now, not the one at start-up.
        smtp = config.smtp_settings()
        self.configured = smtp is not None
        if smtp is None:
            super().__init__(fail_silently=fail_silently, **kwargs)
            return
        super().__init__(
            host=smtp.host,
            port=smtp.port,
            username=smtp.username or None,
            password=smtp.password or None,
            use_tls=smtp.starttls,
            use_ssl=smtp.ssl,
            timeout=smtp.timeout,
            fail_silently=fail_silently,
            **kwargs,
        )

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not self.configured:
            return 0
        for message in email_messages:
            if not parseaddr(message.from_email)[1]:
                message.from_email = config.default_from()
        return super().send_messages(email_messages)
