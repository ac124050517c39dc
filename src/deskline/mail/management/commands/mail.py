import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

EPILOG = (
    "Every mail is stored before it is read; a mail that cannot be parsed is kept as "
    "'failed' with the error, never dropped. `deskline mail ingest` exits 0 once the "
    "mail is stored (as a ticket, a reply, or a recorded rejection or failure) and 75 "
    "(EX_TEMPFAIL) when it could not be stored, so the mail server keeps it and retries. "
    "`deskline mail ACTION --help` describes an action."
)


class Command(BaseCommand):
    # A mail server runs `mail ingest` once per message: Django's system checks would
    # import the whole URLconf (every API router, and through them scikit-learn) each
    # time, over half of the command's start-up. Deskline registers no checks of its
    # own; Django's are about the web side (URLs, admin, templates, security settings)
    # and run with `deskline serve`, `runserver`, `worker` and `deskline check`.
    requires_system_checks: list[str] = []

    help = (
        "The email channel from the command line: take a mail from a mail server's pipe, "
        "list the mail that failed or was rejected, process it again, finish mail left "
        "unprocessed by a crash, or poll the IMAP/POP3 mailboxes now."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: object) -> CommandParser:
        kwargs.setdefault("epilog", EPILOG)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        ingest = sub.add_parser(
            "ingest",
            help="read one mail on stdin (for a mail server pipe); exit 75 to make it retry",
            description="Store one raw mail read on stdin, then turn it into a ticket, a "
            "reply or a recorded rejection. Prints: id, state, ticket number.",
        )
        ingest.add_argument(
            "--desk", metavar="SLUG", help="desk for mail sent to no known desk address"
        )
        failed = sub.add_parser(
            "failed",
            help="list mail that failed or was rejected (id, state, date, source, sender, "
            "subject, error)",
        )
        failed.add_argument(
            "--state",
            default="failed",
            choices=["failed", "rejected", "all"],
            help="failed: could not be parsed or stored as a ticket; rejected: automated "
            "mail, bounces, mail to no desk (default: failed)",
        )
        failed.add_argument("--limit", type=int, default=50, help="at most this many (50)")
        reprocess = sub.add_parser(
            "reprocess", help="process a failed or rejected mail again (after a fix)"
        )
        reprocess.add_argument("id", type=int, help="the id `deskline mail failed` shows")
        sub.add_parser("pending", help="process mail stored but not processed (after a crash)")
        sub.add_parser("poll", help="poll every enabled IMAP/POP3 mailbox now")

    def handle(self, *args: object, **options: object) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _ingest(self, options: dict) -> None:
        from deskline.mail import pipe_client
        from deskline.mail.services.pipe import ingest_piped

        outcome = ingest_piped(pipe_client.stdin_bytes(), options["desk"])
        if outcome.stderr:
            self.stderr.write(outcome.stderr)
        if outcome.stdout:
            self.stdout.write(outcome.stdout)
        if outcome.exit_code:
            sys.exit(outcome.exit_code)

    def _failed(self, options: dict) -> None:
        from deskline.mail.models import RawMail

        mails = RawMail.objects.defer("raw")
        if options["state"] != "all":
            mails = mails.filter(state=options["state"])
        else:
            mails = mails.filter(state__in=["failed", "rejected"])
        for mail in mails[: options["limit"]]:
            error = (mail.error or mail.reason).replace("\n", " ")[:120]
            self.stdout.write(
                f"{mail.pk}\t{mail.state}\t{mail.received_at:%Y-%m-%d %H:%M}\t{mail.source}\t"
                f"{mail.sender or '-'}\t{mail.subject[:60] or '-'}\t{error}"
            )

    def _reprocess(self, options: dict) -> None:
        from deskline.core.errors import Conflict
        from deskline.mail.models import RawMail
        from deskline.mail.services.intake import reprocess

        try:
            raw_mail = reprocess(options["id"])
        except RawMail.DoesNotExist:
            raise CommandError(f"no mail {options['id']}") from None
        except Conflict as exc:
            raise CommandError(str(exc)) from None
        ticket = raw_mail.ticket.number if raw_mail.ticket_id else "-"
        self.stdout.write(f"{raw_mail.pk}\t{raw_mail.state}\t{ticket}\t{raw_mail.error}")
        if raw_mail.state == "failed":
            sys.exit(1)

    def _pending(self, options: dict) -> None:
        from deskline.mail.services.intake import process_pending

        self.stdout.write(f"processed {process_pending()} pending mail")

    def _poll(self, options: dict) -> None:
        from deskline.mail.services.polling import poll_all

        self.stdout.write(f"stored {poll_all()} mail")
