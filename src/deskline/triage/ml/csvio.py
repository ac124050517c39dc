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


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ENCODINGS:
        if encoding == "utf-16":
            continue
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CsvError("the file could not be decoded")  # pragma: no cover - latin-1 decodes all


def read_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"no file at {path}")
    text, encoding = _decode(path.read_bytes())
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


def split_columns(spec: str) -> list[str]:
    columns = [c.strip() for c in spec.split(",") if c.strip()]
    if not columns:
        raise CsvError("name at least one column")
    return columns
