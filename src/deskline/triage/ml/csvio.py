"""Reading tickets from CSV exports, whatever their encoding."""

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from deskline.triage.ml.text import join_fields

# Tried in order; latin-1 decodes any bytes, so reading never fails on encoding alone.
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252", "latin-1")


class CsvError(Exception):
    """The file or its columns cannot be used; the message says why."""


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]
    encoding: str

    def texts(self, columns: list[str]) -> list[str]:
        self.require(columns)
        return [join_fields([row.get(c) for c in columns]) for row in self.rows]

    def values(self, column: str) -> list[str]:
        self.require([column])
        return [(row.get(column) or "").strip() for row in self.rows]

    def require(self, columns: list[str]) -> None:
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise CsvError(
                f"no column {', '.join(repr(c) for c in missing)}; "
                f"the file has: {', '.join(self.columns)}"
            )


# Read when the file is not UTF-8: right for Western European exports only, so the
# command says which one it used (LEGACY) and how to name another.
LEGACY = ("cp1252", "latin-1")


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII characters (delimiters, line ends, the header) in UTF-16 leave a zero byte in
    # every other position; a UTF-8 or 8-bit file has none, or a stray one.
    head = data[:65536]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) < max(2, len(head) // 20) or min(even, odd) * 4 > max(even, odd):
        return None
    try:
        return data.decode("utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return None


def _decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise CsvError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise CsvError(f"the file is not {encoding}: {exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    wide = _utf16_without_bom(data)
    if wide is not None:
        return wide, "utf-16"
    for encoding in ENCODINGS:
        if encoding == "utf-16":
            continue
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CsvError("the file could not be decoded")  # pragma: no cover - latin-1 decodes all


def read_table(path: str | Path, encoding: str | None = None) -> Table:
    """The file's rows; `encoding` None: UTF-8 (with or without BOM), UTF-16, else cp1252."""
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"no file at {path}")
    text, encoding = _decode(path.read_bytes(), encoding)
    csv.field_size_limit(sys.maxsize)
    try:
        # Only CR and LF end a row: str.splitlines would also split a cell at U+2028,
        # NEL or a form feed and shift every later row's prediction.
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [dict(row) for row in reader]
    except csv.Error as exc:
        raise CsvError(f"{path} is not a readable CSV file: {exc}") from exc
    if not reader.fieldnames:
        raise CsvError(f"{path} has no header row")
    columns = [c for c in reader.fieldnames if c is not None]
    # A short row leaves None for missing cells: treat them as empty text.
    for row in rows:
        for column in columns:
            if row.get(column) is None:
                row[column] = ""
    return Table(columns=columns, rows=rows, encoding=encoding)


def legacy_warning(path: str | Path, table: Table) -> str | None:
    """What to tell a user whose file was read with a guessed 8-bit encoding: Chinese or
    Arabic saved by Excel (GBK, cp1256) reads as cp1252 without error, as gibberish."""
    if table.encoding not in LEGACY:
        return None
    return (
        f"warning: {path} is not UTF-8; it was read as {table.encoding}. If its text is "
        f"not Western European, name its encoding with --encoding (gb18030 for Chinese, "
        f"cp1256 for Arabic...)"
    )


def split_columns(spec: str) -> list[str]:
    columns = [c.strip() for c in spec.split(",") if c.strip()]
    if not columns:
        raise CsvError("name at least one column")
    return columns
