"""`deskline smtpd` with several processing processes (DESKLINE_SMTPD_PROCESSES), for real:
the server as a subprocess on a SQLite file of its own, mail over SMTP from several
connections at once, worker processes with their own connections."""

import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deskline.mail.tests import test_pipe
from deskline.mail.tests.conftest import build_mail, free_port
from deskline.mail.tests.test_pipe import _env, deskline, query

# test_pipe's fixtures: a SQLite file of this module's own, migrated, with the IT desk.
data_dir = test_pipe.data_dir
migrated = test_pipe.migrated

# A safeguard against a hung server, not a measure: the mail here takes seconds.
DEADLINE = 180


class Server:
    """`deskline smtpd` running; its log lines (stderr) are collected as they come."""

    def __init__(self, folder: Path, **env: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deskline", "smtpd", "--port", str(self.port)],
            env=_env(folder, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.log: list[str] = []
        self.logged = threading.Condition()
        threading.Thread(target=self._read_log, daemon=True).start()
        # Printed once the workers have started and the server listens.
        line = self.process.stdout.readline()
        assert b"listening" in line, (line, self.log)

    def _read_log(self) -> None:
        for line in self.process.stderr:
            with self.logged:
                self.log.append(line.decode(errors="replace"))
                self.logged.notify_all()

    def wait_for_log(self, text: str, times: int = 1) -> None:
        with self.logged:
            found = self.logged.wait_for(
                lambda: sum(text in line for line in self.log) >= times, timeout=DEADLINE
            )
        assert found, self.log

    def workers(self) -> list[int]:
        """Processes the server started to process mail (its spawned children)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat[1]) == self.process.pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
        return found

    def send(self, mails: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, local_hostname="test", timeout=60) as client:
            for raw in mails:
                client.sendmail("sender@example.com", ["it@desk.test"], raw)

    def stop(self) -> None:
        self.process.terminate()
        assert self.process.wait(timeout=DEADLINE) == 0, self.log


def _settled(folder: Path, like: str, count: int) -> None:
    """Wait until `count` mails with subjects LIKE `like` are stored and none waits."""
    stop = time.monotonic() + DEADLINE
    sql = f"select count(*), sum(state = 'received') from mail_rawmail where subject like '{like}'"
    stored = "select count(*) from mail_rawmail where state = 'received'"
    while time.monotonic() < stop:
        if query(folder, stored) == [(0,)] and query(folder, sql)[0] == (count, 0):
            return
        time.sleep(0.1)
    raise AssertionError(query(folder, "select id, state, subject from mail_rawmail"))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc for the workers")
def test_mail_through_several_processes_all_becomes_tickets_none_twice(migrated):
    folder = migrated
    server = Server(folder, DESKLINE_SMTPD_PROCESSES="2")
    try:
        assert len(server.workers()) == 2
        # Three connections at once, each sending a new request and at once its
        # sender's follow-up (In-Reply-To): the two may reach different processes.
        batches = [
            [
                mail
                for n in range(10)
                for mail in (
                    build_mail(
                        sender=f"User {k}-{n} <user{k}-{n}@example.com>",
                        subject=f"Pool {k}-{n}",
                        message_id=f"<pool-{k}-{n}@example.com>",
                    ),
                    build_mail(
                        sender=f"User {k}-{n} <user{k}-{n}@example.com>",
                        subject=f"Pool follow-up {k}-{n}",
                        body="One more thing.",
                        in_reply_to=f"<pool-{k}-{n}@example.com>",
                    ),
                )
            ]
            for k in range(3)
        ]
        senders = [threading.Thread(target=server.send, args=(b,)) for b in batches]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        _settled(folder, "Pool %", 60)
    finally:
        server.stop()

    states = query(folder, "select state, count(*) from mail_rawmail "
                             "where subject like 'Pool %' group by state")  # fmt: skip
    assert states == [("processed", 60)]
    # Every request one ticket, its follow-up on it: 30 tickets of two messages each.
    tickets = query(
        folder,
        "select t.subject, count(m.id) from tickets_ticket t "
        "join tickets_message m on m.ticket_id = t.id "
        "where t.subject like 'Pool %' group by t.id order by t.subject",
    )
    assert len(tickets) == 30 and all(count == 2 for _, count in tickets), tickets
    assert not [s for s, _ in tickets if "follow-up" in s]
    # Each mail made exactly one message (none processed twice).
    messages = query(
        folder,
        "select count(*), count(distinct r.ticket_message_id) from mail_rawmail r "
        "where r.subject like 'Pool %'",
    )
    assert messages == [(60, 60)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc for the workers")
def test_a_killed_processing_worker_leaves_the_mail_received_and_the_server_answering(migrated):
    folder = migrated
    # Every worker kills itself just before committing a mail (the crash test's hook).
    server = Server(folder, DESKLINE_SMTPD_PROCESSES="2", DESKLINE_MAIL_CRASH_AT="before-commit")
    try:
        server.send([build_mail(subject="Killed one", message_id="<killed-1@example.com>")])
        # Handed to new workers once more; killed again, it is left for the pending job.
        server.wait_for_log("left received")
        # The server still stores (and answers 250 for) new mail, with new workers.
        server.send([build_mail(subject="Killed two", message_id="<killed-2@example.com>")])
        server.wait_for_log("left received", times=2)
    finally:
        server.stop()
    states = "select state from mail_rawmail where message_id like 'killed-%'"
    tickets = "select count(*) from tickets_ticket where subject like 'Killed %'"
    assert query(folder, states) == [("received",), ("received",)]
    assert query(folder, tickets) == [(0,)]  # and no half ticket was committed

    pending = deskline(folder, "mail", "pending")  # the worker's process_pending_mail
    assert pending.returncode == 0 and b"processed 2" in pending.stdout, pending.stderr
    assert query(folder, states) == [("processed",), ("processed",)]
    assert query(folder, tickets) == [(2,)]


def test_processes_setting_must_be_a_positive_number(migrated):
    done = deskline(migrated, "smtpd", "--port", str(free_port()), DESKLINE_SMTPD_PROCESSES="0")
    assert done.returncode != 0 and b"DESKLINE_SMTPD_PROCESSES" in done.stderr
