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

Protocol, version 1 (one mail per connection): the client sends four lines, `DESKLINE-PIPE
1`, the desk slug (may be empty), DATABASE_URL as the client sees it (may be empty), the
mail's size in bytes, then the bytes. The server answers `REFUSED <why>` (the client then
ingests itself) or `<exit code> <stdout bytes> <stderr bytes>`, then that output.
"""

# The C module, not `socket`: the wrapper's imports (enum, selectors) cost about as much
# CPU as the interpreter's own start (measured: 15 ms against 17 ms).
import _socket
import os
import sys

SOCKET_ENV = "DESKLINE_MAIL_SOCKET"
MAGIC = b"DESKLINE-PIPE 1"
SOCKET_NAME = "mail-ingest.sock"
# sun_path holds 108 bytes on Linux, 104 on the BSDs.
MAX_PATH_BYTES = 100

_stdin: bytes | None = None


def socket_path() -> str | None:
    """Where the worker listens: DESKLINE_MAIL_SOCKET, `off` for nowhere, else beside the
    SQLite database in the data folder (also with PostgreSQL: it is the install's)."""
    configured = os.environ.get(SOCKET_ENV, "").strip()
    if configured.lower() in {"off", "none", "0", "false"}:
        return None
    if configured:
        path = os.path.abspath(os.path.expanduser(configured))
    else:
        data_dir = os.environ.get("DESKLINE_DATA_DIR") or "./deskline-data"
        path = os.path.join(os.path.realpath(os.path.expanduser(data_dir)), SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_PATH_BYTES else None


def database_url() -> str:
    """The database both sides must agree on (the data folder is implied by the socket)."""
    return os.environ.get("DATABASE_URL", "").strip()


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


def hand_over(args: list[str]) -> int | None:
    """Give the mail to a running worker: its exit code, printed output included, or
    None when the command must ingest the mail itself."""
    understood, desk = _desk_argument(args)
    path = socket_path()
    if not understood or path is None or not os.path.exists(path):
        return None
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            conn.connect(path)
        except OSError:
            return None  # a socket file left by a worker that has stopped
        global _stdin
        raw = _stdin = sys.stdin.buffer.read()  # kept for the command if the worker refuses
        header = b"\n".join(
            [MAGIC, desk.encode(), database_url().encode(), str(len(raw)).encode(), b""]
        )
        conn.sendall(header)
        conn.sendall(raw)
        answer = _read_line(conn)
        if answer.startswith(b"REFUSED"):
            return None
        code, out_size, err_size = (int(part) for part in answer.split())
        out = _read_exactly(conn, out_size)
        err = _read_exactly(conn, err_size)
    except (OSError, ValueError):
        # Gone before answering (stopped, killed): whatever it stored is recognised when
        # the command ingests the same bytes now.
        return None
    finally:
        conn.close()
    if out:
        sys.stdout.buffer.write(out + b"\n")
    if err:
        sys.stderr.buffer.write(err + b"\n")
    return code
