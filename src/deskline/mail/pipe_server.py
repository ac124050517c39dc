"""The worker's side of `deskline mail ingest`'s hand-over (see `mail/pipe_client.py`).

A Unix socket beside the database; each connection brings one mail, which goes through
exactly what the command would do in-process (`services/pipe.ingest_piped`), and the
answer (exit code and output) is sent only once the mail is committed. The socket is
made readable and writable by the worker's user only (0600): a mail server whose pipe
runs as another user keeps ingesting in-process, with whatever database access it has.
"""

import contextlib
import errno
import logging
import os
import queue
import socket
import stat
import threading
import time

from django.db import close_old_connections, connections

from deskline.mail import pipe_client
from deskline.mail.services.pipe import ingest_piped

log = logging.getLogger(__name__)

HANDLER_THREADS = 2  # SQLite has one writer; a second thread parses while one writes
QUEUED_CONNECTIONS = 64  # past this, new clients wait in the listen backlog
MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # as the SMTP intake server
# A client sends its whole mail at once (it reads stdin before connecting): one that
# has not sent it by then is given up, and ingests the mail itself if it is still there.
READ_SECONDS = 60.0
STOP_SECONDS = 10.0  # `deskline serve` waits 15 s for its children


class ClientGone(Exception):
    """The client closed, stalled or spoke another protocol: nothing was stored."""


class PipeServer:
    def __init__(self, path: str, threads: int = HANDLER_THREADS) -> None:
        self.path = path
        self._stop = threading.Event()
        self._queue: queue.Queue[socket.socket | None] = queue.Queue(QUEUED_CONNECTIONS)
        self._listener: socket.socket | None = None
        self._inode: int | None = None
        self._threads = [
            threading.Thread(target=self._handle_loop, name=f"deskline-pipe-{n}", daemon=True)
            for n in range(threads)
        ]
        self._identity = pipe_client.install_identity().encode()

    def start(self) -> bool:
        """Listen, unless another live worker already does on this path."""
        if not self._claim_path():
            return False
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Bound under a private name, restricted, then renamed into place: nobody can
        # connect before the mode is set, and the process umask is left alone (other
        # threads create files meanwhile).
        staging = f"{self.path}.{os.getpid()}"
        try:
            listener.bind(staging)
            os.chmod(staging, 0o600)
            os.rename(staging, self.path)
        except OSError:
            listener.close()
            if os.path.exists(staging):
                os.unlink(staging)
            raise
        listener.listen(QUEUED_CONNECTIONS)
        listener.settimeout(0.5)  # to notice stop()
        self._listener = listener
        self._inode = os.stat(self.path).st_ino
        # A forked child (the Redis backend runs each task in a fork) must not hold the
        # listener: clients would connect to a process that never answers.
        os.register_at_fork(after_in_child=listener.close)
        threading.Thread(target=self._accept_loop, name="deskline-pipe-accept", daemon=True).start()
        for thread in self._threads:
            thread.start()
        log.info("mail pipe hand-over listening on %s", self.path)
        return True

    def stop(self) -> None:
        """Stop taking mail, finish the mail taken (up to STOP_SECONDS), then go."""
        self._stop.set()
        if self._listener is None:
            return
        self._listener.close()
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)  # new commands ingest in-process from now on
        deadline = time.monotonic() + STOP_SECONDS
        for _ in self._threads:
            try:  # after the connections already queued, which are handled first
                self._queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                break
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

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
        except ConnectionRefusedError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # left by a worker that stopped without cleaning up
            return True
        except OSError as exc:  # e.g. another user's live socket: leave it alone
            log.warning("mail pipe hand-over off: %s: %s", self.path, exc)
            return False
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
            except OSError as exc:
                if self._stop.is_set():
                    return
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    time.sleep(0.1)  # out of descriptors: let handlers close some
                    continue
                log.exception("mail pipe hand-over: accept failed")
                time.sleep(0.1)
                continue
            while not self._stop.is_set():
                try:
                    self._queue.put(conn, timeout=0.5)
                    break
                except queue.Full:
                    continue
            else:
                conn.close()

    def _handle_loop(self) -> None:
        try:
            while True:
                conn = self._queue.get()
                if conn is None:
                    return
                with conn:
                    try:
                        self._serve(conn)
                    except (ClientGone, OSError) as exc:
                        # A probe, a stalled or vanished client: it ingests itself.
                        log.info("mail pipe hand-over: client gone: %s", exc)
                    except Exception:  # noqa: BLE001 - the client ingests the mail itself
                        log.exception("mail pipe hand-over failed; the command takes the mail")
        finally:
            connections.close_all()

    def _serve(self, conn: socket.socket) -> None:
        reader = _Reader(conn, time.monotonic() + READ_SECONDS)
        magic = reader.line()
        if magic != pipe_client.MAGIC:
            conn.sendall(b"REFUSED protocol\n")
            return
        desk, identity, size = reader.line(), reader.line(), reader.line()
        if identity != self._identity:
            conn.sendall(b"REFUSED another install\n")
            return
        try:
            size_bytes = int(size)
            desk_slug = desk.decode()
        except ValueError:  # UnicodeDecodeError included
            conn.sendall(b"REFUSED header\n")
            return
        if not 0 <= size_bytes <= MAX_MESSAGE_BYTES:
            conn.sendall(b"REFUSED size\n")
            return
        raw = reader.exactly(size_bytes)
        conn.settimeout(None)
        close_old_connections()  # drop a connection the database closed meanwhile
        outcome = ingest_piped(raw, desk_slug or None)
        out, err = outcome.stdout.encode(), outcome.stderr.encode()
        conn.sendall(f"{outcome.exit_code} {len(out)} {len(err)}\n".encode() + out + err)


class _Reader:
    """Lines and bytes from a client, all of them before one deadline."""

    def __init__(self, conn: socket.socket, deadline: float) -> None:
        self.conn = conn
        self.deadline = deadline
        self.buffer = bytearray()

    def _more(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ClientGone("too slow")
        self.conn.settimeout(left)
        try:
            chunk = self.conn.recv(1 << 20)
        except TimeoutError:
            raise ClientGone("too slow") from None
        if not chunk:
            raise ClientGone("closed before the end of its mail")
        self.buffer += chunk

    def line(self) -> bytes:
        while (end := self.buffer.find(b"\n")) < 0:
            if len(self.buffer) > 4096:
                raise ClientGone("header line too long")
            self._more()
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        return line

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


def start_pipe_server() -> PipeServer | None:
    """Listen where `deskline mail ingest` looks, unless turned off or taken."""
    path = pipe_client.socket_path()
    if path is None:
        if not pipe_client.turned_off():
            configured = os.environ.get(pipe_client.SOCKET_ENV, "").strip()
            log.warning(
                "mail pipe hand-over off: %s must be an absolute path of at most %d bytes",
                pipe_client.SOCKET_ENV if configured else "the data folder's socket path",
                pipe_client.MAX_PATH_BYTES,
            )
        return None
    server = PipeServer(path)
    try:
        return server if server.start() else None
    except OSError as exc:
        log.warning("mail pipe hand-over off: cannot listen on %s: %s", path, exc)
        return None
