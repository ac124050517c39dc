"""The `deskline` command. Subcommands are Django management commands of deskline.core,
so `deskline migrate` and friends behave exactly like `manage.py` ones."""

import os
import sys

USAGE = """usage: deskline COMMAND [options]

commands:
  serve [--host H] [--port P]   migrate, then run web + worker + scheduler
  worker                        run background tasks and the schedule
  migrate                       create or update the database tables
  createadmin --email E --password P
  token create --email E        print a new API token for a user
  demo                          load demo desks, people and tickets (en, ar, zh)
  check                         configuration and connectivity report
  mail ingest|failed|reprocess|pending|poll
                                the email channel (`deskline mail --help`)
  smtpd [--host H] [--port P]   run the SMTP intake server alone
  triage train|predict          triage models from CSV files, or a desk's history
                                (`deskline triage train --help`)
  help                          this text; any Django command also works

`deskline COMMAND --help` describes a command's options."""

# Our names for commands whose Django name is taken by Django itself.
ALIASES = {"check": "deskline_check"}


def _exit_at_once() -> None:
    """End `deskline mail ingest` without tearing the interpreter down.

    A mail server runs it once per message, and freeing every module and object of
    Django and the apps at exit took about a third of its CPU (~0.25 s of ~0.7 s). By
    now the mail is committed; what a normal exit would still do is done here: the
    database connections closed, logging and the output flushed (no thread runs, and
    logging's flush is the only exit hook)."""
    import logging

    from django.db import connections

    connections.close_all()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# sysexits.h EX_TEMPFAIL: the mail server keeps the mail and retries.
EX_TEMPFAIL = 75


def _ingest_or_retry_later(args: list[str]) -> None:
    """`deskline mail ingest`, exiting 0 or 75 only: a mail server bounces the mail back
    to its sender on any other code, and a configuration not fixed yet (a malformed
    setting, a data folder it cannot use, a mistyped option in the pipe command) must
    keep the mail queued until it is."""
    try:
        _run(args)
    except SystemExit as exc:
        if exc.code in (None, 0, EX_TEMPFAIL):
            raise
        print("deskline mail ingest: the mail was not stored; retry later", file=sys.stderr)
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the mail server must retry
        print(f"deskline mail ingest: could not start: {exc!r}", file=sys.stderr)
        sys.exit(EX_TEMPFAIL)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        sys.exit(0 if args else 2)
    if args[:2] == ["mail", "ingest"]:
        _ingest_or_retry_later(args)
    else:
        _run(args)


def _run(args: list[str]) -> None:
    if args[:2] == ["mail", "ingest"]:
        # Before Django: a running worker takes the mail for a fraction of the start-up.
        from deskline.mail.pipe_client import hand_over

        code = hand_over(args[2:])
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    from deskline.conf import ConfigurationError

    try:
        import django
        from django.core.management import execute_from_command_line
        from django.db.utils import OperationalError

        django.setup()
    except ConfigurationError as exc:
        print(f"deskline: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    name = ALIASES.get(args[0], args[0])
    try:
        execute_from_command_line(["deskline", name, *args[1:]])
        if args[:2] == ["mail", "ingest"]:
            _exit_at_once()
    except OperationalError as exc:
        print(f"deskline: cannot use the database: {exc}".rstrip(), file=sys.stderr)
        print(
            "Check DATABASE_URL (or DESKLINE_DATA_DIR for SQLite) with `deskline check`.",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":  # `python -m deskline.cli`, as `python -m deskline`
    main()
