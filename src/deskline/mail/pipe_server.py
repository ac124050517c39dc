"""The worker's side of `deskline mail ingest`'s hand-over (see `mail/pipe_client.py`).

A Unix socket beside the database; each connection brings one mail, which goes through
exactly what the command would do in-process (`services/pipe.ingest_piped`), and the
answer (exit code and output) is sent only once the mail is committed. The socket file
is made readable and writable by the worker's user and group only: whoever may write
mail through it could also have run the command against the database.
"""

import logging
import os
import queue
import socket
import stat
import threading

from django.db import close_old_connections, connections

from deskline.mail import pipe_client
from deskline.mail.services.pipe import ingest_piped

log = logging.getLogger(__name__)

HANDLER_THREADS = 2  # SQLite has one writer; a second thread parses while one writes
MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # as the SMTP intake server
READ_TIMEOUT_SECONDS = 60  # a client that stops sending does not hold a thread forever


class PipeServer:
    def __init__(self, path: str, threads: int = HANDLER_THREADS) -> None:
        self.path = path
        self.threads = threads
        self._stop = threading.Event()
        self._queue: queue.Queue[socket.socket | None] = queue.Queue()
        self._listener: socket.socket | None = None
        self._inode: int | None = None

    def start(self) -> bool:
        """Listen, unless another live worker already does on this path."""
        if not self._claim_path():
            return False
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o117)
        try:
            listener.bind(self.path)
        finally:
            os.umask(old_umask)
        listener.listen(64)
        listener.settimeout(0.5)  # to notice stop()
        self._listener = listener
        self._inode = os.stat(self.path).st_ino
        threading.Thread(target=self._accept_loop, name="deskline-pipe-accept", daemon=True).start()
        for number in range(self.threads):
            threading.Thread(
                target=self._handle_loop, name=f"deskline-pipe-{number}", daemon=True
            ).start()
        log.info("mail pipe hand-over listening on %s", self.path)
        return True

    def stop(self) -> None:
        self._stop.set()
        for _ in range(self.threads):
            self._queue.put(None)
        if self._listener is not None:
            self._listener.close()
            try:
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
            except FileNotFoundError:
                pass

    def _claim_path(self) -> bool:
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            return True
        if not stat.S_ISSOCK(mode):
            log.warning("mail pipe hand-over off: %s exists and is not a socket", self.path)
            return False
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except OSError:
            os.unlink(self.path)  # left by a worker that stopped without cleaning up
            return True
        finally:
            probe.close()
        log.info("mail pipe hand-over: another worker listens on %s", self.path)
        return False

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                log.exception("mail pipe hand-over: accept failed")
                continue
            self._queue.put(conn)

    def _handle_loop(self) -> None:
        try:
            while True:
                conn = self._queue.get()
                if conn is None:
                    return
                with conn:
                    try:
                        self._serve(conn)
                    except Exception:  # noqa: BLE001 - the client ingests the mail itself
                        log.exception("mail pipe hand-over failed; the command takes the mail")
        finally:
            connections.close_all()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(READ_TIMEOUT_SECONDS)
        reader = conn.makefile("rb")
        magic, desk, database_url, size = (reader.readline(1024).rstrip(b"\n") for _ in range(4))
        if magic != pipe_client.MAGIC:
            conn.sendall(b"REFUSED protocol\n")
            return
        if database_url.decode() != pipe_client.database_url():
            conn.sendall(b"REFUSED another database\n")
            return
        size = int(size)
        if not 0 <= size <= MAX_MESSAGE_BYTES:
            conn.sendall(b"REFUSED size\n")
            return
        raw = reader.read(size)
        if len(raw) != size:
            return  # the client went away: nothing was stored
        conn.settimeout(None)
        close_old_connections()  # drop a connection the database closed meanwhile
        outcome = ingest_piped(raw, desk.decode() or None)
        out, err = outcome.stdout.encode(), outcome.stderr.encode()
        conn.sendall(f"{outcome.exit_code} {len(out)} {len(err)}\n".encode() + out + err)


def start_pipe_server() -> PipeServer | None:
    """Listen where `deskline mail ingest` looks, unless turned off or taken."""
    path = pipe_client.socket_path()
    if path is None:
        return None
    server = PipeServer(path)
    try:
        return server if server.start() else None
    except OSError as exc:
        log.warning("mail pipe hand-over off: cannot listen on %s: %s", path, exc)
        return None
