"""Turning bytes into text when the declared charset is missing, unknown or wrong."""

import codecs
import re

# Labels seen in real mail mapped to the Python codec that actually decodes what
# senders produce: clients that say GB2312 write GBK/GB18030, "iso-8859-1" is nearly
# always Windows-1252 (as browsers assume), Korean mail labelled KS C 5601 is CP949.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-1-1-utf-7": "utf-7",
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "x-utf-8": "utf-8",
    "unicode": "utf-16",
}
# Labels that say nothing about the bytes.
_UNKNOWN = {"", "x-unknown", "unknown", "unknown-8bit", "default", "x-user-defined", "8bit"}
# Decoders that never fail whatever the bytes: a success with them proves nothing.
_PERMISSIVE = {"latin_1", "iso8859_1", "cp437"}

_CJK_FALLBACKS = ("gb18030", "big5hkscs", "cp932", "euc_jp", "cp949")


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None when Python knows none."""
    if label is None:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if name in _UNKNOWN:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # A label like "base64" or "zlib" names a bytes-to-bytes codec Python refuses in
    # bytes.decode; "undefined" always fails. Treat them as no charset at all.
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return None
    return info.name


def _looks_like_iso2022(data: bytes) -> bool:
    return b"\x1b$B" in data or b"\x1b$@" in data or b"\x1b(J" in data


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):
        return None


def guess_decode(data: bytes, hints: tuple[str, ...] = ()) -> str:
    """Decode bytes of unknown charset: UTF-8 first, then the message's other charsets,
    then CJK encodings when the bytes fit one, then Windows-1252, which loses nothing."""
    if data.isascii():
        return data.decode("ascii")
    if _looks_like_iso2022(data):
        text = _strict(data, "iso2022_jp_ext")
        if text is not None:
            return text
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    text = _cut_utf8(data)
    if text is not None:
        return text  # UTF-8 cut in the middle of a character (truncated names)
    for hint in hints:
        codec = codec_for(hint)
        if codec and codec not in _PERMISSIVE:
            text = _strict(data, codec)
            if text is not None and not _has_controls(text):
                return text
    if _high_byte_pairs(data):
        for codec in _CJK_FALLBACKS:
            text = _strict(data, codec)
            if text is not None and not _has_controls(text):
                return text
    cyrillic = _cyrillic_codec(data)
    if cyrillic:
        return data.decode(cyrillic)
    text = _strict(data, "cp1252")
    if text is not None:
        return text
    return data.decode("latin-1")


def _cut_utf8(data: bytes) -> str | None:
    """UTF-8 with a character or two cut (a name truncated at a byte limit), those
    replaced; None when the bytes are no UTF-8. Only when other characters do decode as
    multi-byte UTF-8: Latin-1 text with one accented letter ("Fr\xf6sche") has a bad byte
    or two among ASCII too, and would lose its accents."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if bad > 2 or len(text) <= 20 * bad:
        return None
    if not any(ord(char) > 127 and char != "\ufffd" for char in text):
        return None
    return text


def _cyrillic_codec(data: bytes) -> str | None:
    """Latin languages use few accented letters between ASCII ones; Russian words are
    all high bytes."""
    letters = sum(1 for b in data if b >= 0xC0 or 0x41 <= (b | 0x20) <= 0x7A)
    high = sum(1 for b in data if b >= 0xC0)
    if not letters or high < 0.6 * letters:
        return None
    # The ten most frequent Russian letters tell the two apart, whatever the case.
    common = set("оеаинтсрвлОЕАИНТСРВЛ")
    scores = {}
    for codec in ("koi8_r", "cp1251"):
        # cp1251 leaves 0x98 undefined: binary data (audio, images sent as text)
        # fails it, and a codec that cannot decode the bytes is no candidate.
        text = _strict(data, codec)
        if text is not None:
            scores[codec] = sum(ch in common for ch in text)
    return max(scores, key=lambda c: scores[c]) if scores else None


def _has_controls(text: str) -> bool:
    return bool(re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]", text))


def _high_byte_pairs(data: bytes) -> bool:
    """Double-byte text has runs of high bytes; Latin text mostly has single ones."""
    high = sum(1 for b in data if b >= 0x80)
    runs = len(re.findall(rb"[\x80-\xff]{2,}", data))
    return high >= 2 and runs * 2 >= high * 0.6


def decode_text(
    data: bytes, label: str | None, hints: tuple[str, ...] = ()
) -> tuple[str, str | None]:
    """Decode with the declared charset when it fits the bytes.

    Returns the text and a defect note when the label was missing, unknown or wrong.
    """
    codec = codec_for(label)
    if codec is not None:
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        text = _strict(data, codec)
        if text is not None:
            if codec == "cp1252" and not data.isascii() and _strict(data, "utf-8"):
                # 8-bit UTF-8 labelled as Latin/ASCII: a very common mislabel.
                return data.decode("utf-8"), f"charset {label} was really utf-8"
            return text, None
        text = guess_decode(data, hints)
        return text, f"text did not decode as {label}; decoded by guessing"
    if label and label.strip().strip("\"'").lower() not in _UNKNOWN:
        note = f"unknown charset {label!r}; decoded by guessing"
    elif data.isascii():
        note = None
    else:
        note = "8-bit text without a charset; decoded by guessing"
    return guess_decode(data, hints), note
