"""Text clean-up shared by training and prediction, so both see the same characters."""

import re
import unicodedata

# Arabic short vowels, shadda, sukun, tanwin, superscript alef, and tatweel: writers use
# them inconsistently, so the same word would otherwise give different n-grams.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_SPACES = re.compile(r"\s+")


def _cp1252_char(byte: int) -> str:
    # Bytes cp1252 leaves undefined (0x81, 0x8d...) come back from lenient decoders as
    # the code point of the same number.
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_CONTINUATION = "".join(_cp1252_char(b) for b in range(0x80, 0xC0))
_LEADING = "".join(_cp1252_char(b) for b in range(0xC2, 0xF5))
# A UTF-8 lead byte followed by a continuation byte, both shown as cp1252 characters:
# what UTF-8 text looks like after being read as cp1252 ("Ã©", "å…¬"...).
_MOJIBAKE_HINT = re.compile(f"[{re.escape(_LEADING)}][{re.escape(_CONTINUATION)}]")
_TO_BYTE = {_cp1252_char(b): b for b in range(0x80, 0x100)}


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once read as cp1252, when it round-trips cleanly.

    Exports from ticketing tools often do this to Chinese and accented text; the
    original characters carry the meaning, the garbled ones only noise.
    """
    if not _MOJIBAKE_HINT.search(text):
        return text
    raw = bytearray()
    for char in text:
        code = ord(char)
        if code < 0x80:
            raw.append(code)
        elif char in _TO_BYTE:
            raw.append(_TO_BYTE[char])
        else:  # a character cp1252 cannot produce: this text was not mis-decoded
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def normalize(text: str) -> str:
    text = repair_mojibake(text or "")
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return _SPACES.sub(" ", text).strip()


def join_fields(values: list[object]) -> str:
    """One text from several columns (subject, body...), skipping empty ones."""
    parts = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, float) and value != value:  # NaN from a CSV reader
            continue
        part = str(value).strip()
        if part:
            parts.append(part)
    return "\n".join(parts)
