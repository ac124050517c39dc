import os
import signal
import threading

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run the SMTP intake server: it accepts mail for the desks' addresses and answers "
        "250 only once the raw mail is stored, 4xx on a temporary failure so the sender "
        "retries; stored mail then becomes tickets and replies. `deskline serve` starts it "
        "too when DESKLINE_SMTPD_PORT is set. Stop it with Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("DESKLINE_SMTPD_HOST", "127.0.0.1"),
            help="address to listen on (DESKLINE_SMTPD_HOST, default 127.0.0.1)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("DESKLINE_SMTPD_PORT") or 2525),
            help="port to listen on (DESKLINE_SMTPD_PORT, default 2525)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help=(
                "processes that process stored mail into tickets (DESKLINE_SMTPD_PROCESSES, "
                "default 2 on two cores or more; 1: a thread of the server)"
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        from django.core.management.base import CommandError

        from deskline.mail import smtpd

        processes = options["processes"]
        if processes is None:
            try:
                processes = smtpd.configured_processes()
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if int(processes) < 1:  # type: ignore[call-overload]
            raise CommandError("--processes must be at least 1")
        controller, handler = smtpd.start(
            str(options["host"]),
            int(options["port"]),  # type: ignore[call-overload]
            int(processes),  # type: ignore[call-overload]
        )
        self.stdout.write(f"SMTP intake listening on {options['host']}:{options['port']}")
        self.stdout.flush()
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        try:
            done.wait()
        finally:
            smtpd.stop(controller, handler)
