"""`deskline mail ingest` handing its mail to a running worker, without starting Django.

A mail server runs the pipe once per message. Starting Django and the apps costs that
process about 0.45 s of CPU (docs/benchmarks.md, "Email intake"), far more than the
intake itself; a worker that already runs (`deskline serve`, `deskline worker`) listens
on a Unix socket beside the database and does the same intake for it
(`mail/pipe_server.py`). This module is imported before Django and uses only the
standard library, so that the hand-over costs little more than the interpreter's start.

When no worker listens, or it goes away before answering, the command ingests the mail
itself, as before. Nothing can be lost or doubled that way: the worker answers only
after the mail is committed, and a mail stored twice is recognised by its Message-ID or
content hash.

Protocol, version 2 (one mail per connection): the client sends four lines, `DESKLINE-PIPE
2`, the desk slug (may be empty), the install's identity (a hash of DATABASE_URL and the
data folder, as the client sees them), the mail's size in bytes, then the bytes. The
server answers `REFUSED <why>` (the client then ingests itself) or `<exit code> <stdout
bytes> <stderr bytes>`, then that output. The client talks only to a peer running as its
own user or as the owner of the folder that holds the socket (SO_PEERCRED), so another
local user's listener cannot swallow mail.
"""

# The C module, not `socket`: the wrapper's imports (enum, selectors) cost about as much
# CPU as the interpreter's own start (measured: 15 ms against 17 ms).
import _socket
import os
import sys

SOCKET_ENV = "DESKLINE_MAIL_SOCKET"
MAGIC = b"DESKLINE-PIPE 2"
SOCKET_NAME = "mail-ingest.sock"
# sun_path holds 108 bytes on Linux, 104 on the BSDs.
MAX_PATH_BYTES = 100
# Past this the command stops waiting and ingests the mail itself (a stopped or hung
# worker); below Postfix's 1,000 s command limit. A worker still busy with the mail
# then races the command harmlessly: processing re-checks the row's state under lock.
ANSWER_SECONDS = 300.0

_stdin: bytes | None = None


def socket_path() -> str | None:
    """Where the worker listens: DESKLINE_MAIL_SOCKET (an absolute path; `off` for
    nowhere), else beside the SQLite database in the data folder (also with PostgreSQL:
    it is the install's). None when off, relative or too long for a socket address."""
    configured = os.environ.get(SOCKET_ENV, "").strip()
    if turned_off():
        return None
    if configured:
        path = os.path.expanduser(configured)
        if not os.path.isabs(path):
            return None  # each process would resolve it against its own folder
    else:
        path = os.path.join(data_dir(), SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_PATH_BYTES else None


def turned_off() -> bool:
    """DESKLINE_MAIL_SOCKET says no hand-over at all."""
    return os.environ.get(SOCKET_ENV, "").strip().lower() in {"off", "none", "0", "false"}


def data_dir() -> str:
    """DESKLINE_DATA_DIR as settings.py resolves it."""
    return os.path.realpath(
        os.path.expanduser(os.environ.get("DESKLINE_DATA_DIR") or "./deskline-data")
    )


def install_identity() -> str:
    """What both sides must agree on: the database and the data folder (with an explicit
    socket path, two installs could share it). A hash, so that a password in
    DATABASE_URL never crosses the socket."""
    try:
        from _sha256 import sha256  # the C module: hashlib would load OpenSSL's
    except ImportError:  # a Python built without it
        from hashlib import sha256
    seen = os.environ.get("DATABASE_URL", "").strip() + "\0" + data_dir()
    return sha256(seen.encode()).hexdigest()


def stdin_bytes() -> bytes:
    """The mail on stdin: what the hand-over read, if it tried, else read now."""
    global _stdin
    raw, _stdin = _stdin, None
    return sys.stdin.buffer.read() if raw is None else raw


def _desk_argument(args: list[str]) -> tuple[bool, str]:
    """(understood, desk slug) for `mail ingest`'s own options; anything else (help, a
    typo) is left to the full command and its error messages."""
    if not args:
        return True, ""
    if len(args) == 2 and args[0] == "--desk" and args[1] and "\n" not in args[1]:
        return True, args[1]
    if len(args) == 1 and args[0].startswith("--desk=") and "\n" not in args[0]:
        desk = args[0].removeprefix("--desk=")
        return bool(desk), desk
    return False, ""


def _read_exactly(conn: _socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the worker closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_line(conn: _socket.socket) -> bytes:
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            raise ConnectionError("the worker closed the connection")
        line += byte
        if len(line) > 1024:
            raise ConnectionError("the worker's answer is not understood")
    return bytes(line[:-1])


def _trusted_peer(conn: _socket.socket, path: str) -> bool:
    """The listener runs as this user or as the owner of the socket's folder: not any
    local user who could create a socket where the command looks."""
    if not hasattr(_socket, "SO_PEERCRED"):
        return True  # not Linux: the folder's permissions are the only guard
    cred = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # pid, uid, gid
    uid = int.from_bytes(cred[4:8], sys.byteorder)
    return uid in (os.getuid(), os.stat(os.path.dirname(path)).st_uid)


def hand_over(args: list[str]) -> int | None:
    """Give the mail to a running worker: its exit code, printed output included, or
    None when the command must ingest the mail itself."""
    understood, desk = _desk_argument(args)
    path = socket_path()
    if not understood or path is None or not os.path.exists(path):
        return None
    global _stdin
    # Read before connecting: a worker thread never waits on the mail server's writing.
    raw = _stdin = sys.stdin.buffer.read()  # kept for the command if the worker refuses
    header = b"\n".join(
        [MAGIC, desk.encode(), install_identity().encode(), str(len(raw)).encode(), b""]
    )
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(ANSWER_SECONDS)
        try:
            conn.connect(path)
        except OSError:
            return None  # a socket file left by a worker that has stopped
        if not _trusted_peer(conn, path):
            return None
        conn.sendall(header)
        conn.sendall(raw)
        answer = _read_line(conn)
        if answer.startswith(b"REFUSED"):
            return None
        code, out_size, err_size = (int(part) for part in answer.split())
        out = _read_exactly(conn, out_size)
        err = _read_exactly(conn, err_size)
    except (OSError, ValueError):
        # Gone before answering (stopped, killed, hung): whatever it stored is recognised
        # when the command ingests the same bytes now.
        return None
    finally:
        conn.close()
    if out:
        sys.stdout.buffer.write(out + b"\n")
    if err:
        sys.stderr.buffer.write(err + b"\n")
    return code
