"""Files inside Outlook's winmail.dat (application/ms-tnef).

TNEF is a flat list of attributes: level (1 message, 2 attachment), id, length, data,
checksum. An attachment starts with attAttachRendData; its name is attAttachTitle or,
better, the long file name among its MAPI properties (attAttachment).
"""

import struct
from dataclasses import dataclass

SIGNATURE = 0x223E9F78
_ATT_RENDDATA = 0x00069002
_ATT_TITLE = 0x00018010
_ATT_DATA = 0x0006800F
_ATT_MAPI = 0x00069005
_ATT_BODY = 0x0002800C
_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_MIME_TAG = 0x370E
_FIXED_SIZES = {
    0x0001: 0, 0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
    0x000A: 4, 0x000B: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16,
}  # fmt: skip
_VARIABLE = {0x001E, 0x001F, 0x0102, 0x000D}


class TnefError(ValueError):
    pass


@dataclass
class TnefFile:
    filename: str
    content: bytes
    content_type: str = ""


def _string(data: bytes) -> str:
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _mapi_props(data: bytes) -> dict[int, bytes]:
    """Property id → raw value for single-valued properties we can walk past."""
    props: dict[int, bytes] = {}
    (count,) = struct.unpack_from("<I", data, 0)
    pos = 4
    for _ in range(count):
        prop_type, prop_id = struct.unpack_from("<HH", data, pos)
        pos += 4
        if prop_id >= 0x8000:  # named property: GUID, kind, then id or name
            kind = struct.unpack_from("<I", data, pos + 16)[0]
            pos += 20
            if kind == 0:
                pos += 4
            else:
                (length,) = struct.unpack_from("<I", data, pos)
                pos += 4 + length + (-length % 4)
        multi = bool(prop_type & 0x1000)
        base = prop_type & 0x0FFF
        values = 1
        if multi or base in _VARIABLE:
            (values,) = struct.unpack_from("<I", data, pos)
            pos += 4
        value = b""
        for _ in range(values):
            if base in _VARIABLE:
                (length,) = struct.unpack_from("<I", data, pos)
                pos += 4
                value = data[pos : pos + length]
                pos += length + (-length % 4)
            elif base in _FIXED_SIZES:
                size = _FIXED_SIZES[base]
                value = data[pos : pos + size]
                pos += size
            else:
                return props  # unknown type: the rest cannot be located
        if not multi:
            props[prop_id] = value if base != 0x001F else value.decode("utf-16-le", "replace")
    return props  # type: ignore[return-value]


def extract(data: bytes) -> tuple[list[TnefFile], str]:
    """The attached files and the plain message body (often empty) of a TNEF blob."""
    if len(data) < 6 or struct.unpack_from("<I", data, 0)[0] != SIGNATURE:
        raise TnefError("not a TNEF stream")
    pos = 6
    files: list[TnefFile] = []
    body = ""
    current: TnefFile | None = None
    while pos + 9 <= len(data):
        level = data[pos]
        attr_id, length = struct.unpack_from("<II", data, pos + 1)
        start = pos + 9
        value = data[start : start + length]
        if len(value) != length:
            raise TnefError("TNEF attribute runs past the end")
        pos = start + length + 2
        if level == 1 and attr_id == _ATT_BODY:
            body = _string(value)
        if level != 2:
            continue
        if attr_id == _ATT_RENDDATA:
            current = TnefFile(filename="", content=b"")
            files.append(current)
        elif current is None:
            continue
        elif attr_id == _ATT_TITLE and not current.filename:
            current.filename = _string(value)
        elif attr_id == _ATT_DATA:
            current.content = value
        elif attr_id == _ATT_MAPI:
            try:
                props = _mapi_props(value)
            except struct.error:
                continue
            long_name = props.get(_PR_ATTACH_LONG_FILENAME)
            if long_name:
                current.filename = long_name if isinstance(long_name, str) else _string(long_name)
            mime = props.get(_PR_ATTACH_MIME_TAG)
            if mime:
                current.content_type = mime if isinstance(mime, str) else _string(mime)
    return [f for f in files if f.content or f.filename], body
