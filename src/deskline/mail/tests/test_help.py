"""`deskline mail --help` and `deskline smtpd --help` say what they do, through the
real `deskline` entry point."""

import subprocess
import sys


def _help(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "deskline", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return " ".join(done.stdout.split())


def test_mail_help_lists_every_action_and_the_pipe_exit_codes():
    text = _help("mail")
    for action in ("ingest", "failed", "reprocess", "pending", "poll"):
        assert f" {action} " in text
    assert "exits 0 once the mail is stored" in text and "75 (EX_TEMPFAIL)" in text
    assert "--desk SLUG" in _help("mail", "ingest")


def test_smtpd_help_explains_the_server_and_its_options():
    text = _help("smtpd")
    assert "answers 250 only once the raw mail is stored" in text
    assert "DESKLINE_SMTPD_HOST" in text and "DESKLINE_SMTPD_PORT" in text
    assert "--processes" in text and "DESKLINE_SMTPD_PROCESSES" in text


def test_top_level_help_names_the_mail_commands():
    text = _help()
    assert "deskline mail --help" in text and "smtpd [--host H] [--port P]" in text
