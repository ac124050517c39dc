"""A private Dovecot for the polling tests: its own config, passwd file and maildir."""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USERS = {"desk": "secret-pw", "oauth": "token-abc"}  # XOAUTH2 tokens check as passwords


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.imap_port = _free_port()
        self.pop3_port = _free_port()
        self.process: subprocess.Popen | None = None

    def _config(self) -> str:
        # Dovecot's login and mail processes refuse root; as root they run as nobody.
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            uid, gid, login = nobody.pw_uid, nobody.pw_gid, "nobody"
            group = "nogroup" if shutil.which("getent") else str(gid)
        else:
            uid, gid = os.getuid(), os.getgid()
            login = pwd.getpwuid(uid).pw_name
            group = str(gid)
        for folder in ("mail", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            os.chown(self.root / folder, uid, gid)
        root = self.root
        return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
default_internal_user = {login}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def start(self) -> None:
        self.root.chmod(0o755)
        (self.root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in USERS.items())
        )
        (self.root / "dovecot.conf").write_text(self._config())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=5) as probe:
                    probe.noop()
                return
            except OSError:
                if self.process.poll() is not None:
                    stderr = self.process.stderr.read()
                    raise RuntimeError(f"dovecot exited: {stderr!r}") from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: str = "") -> None:
        """Fill the mailbox the way a mail server delivers: IMAP APPEND (flags such as
        "(\\Seen)": a mail someone already read in their mail client)."""
        with imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10) as client:
            client.login(user, USERS[user])
            if folder != "INBOX":
                client.create(folder)
            status, _ = client.append(folder, flags or None, None, raw)
            assert status == "OK"

    def messages(self, user: str, folder: str = "INBOX") -> list[tuple[bytes, bool]]:
        """(message-id header line, seen?) for each mail left in the folder."""
        with imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10) as client:
            client.login(user, USERS[user])
            _, count = client.select(folder, readonly=True)
            if count[0] == b"0":
                return []
            _, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            found = []
            for item in data:
                if isinstance(item, tuple):
                    found.append((item[1].strip(), b"\\Seen" in item[0]))
            return found
