"""The mail app's real SMTP sink, for notification mail."""

from deskline.mail.tests.sink import it_address, smtp_sink  # noqa: F401
