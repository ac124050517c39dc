import os
import signal
import threading

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the SMTP intake server for the desks' addresses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DESKLINE_SMTPD_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("DESKLINE_SMTPD_PORT") or 2525)
        )

    def handle(self, *args: object, **options: object) -> None:
        from deskline.mail import smtpd

        controller, handler = smtpd.start(str(options["host"]), int(options["port"]))  # type: ignore[call-overload]
        self.stdout.write(f"SMTP intake listening on {options['host']}:{options['port']}")
        self.stdout.flush()
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        try:
            done.wait()
        finally:
            smtpd.stop(controller, handler)
