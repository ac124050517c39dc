"""Text → search tokens, the same way for documents and queries and for every backend.

Both backends index the string `index_text(text)` returns (space-separated tokens) with
a tokenizer that does nothing but split on spaces, so SQLite and PostgreSQL match the
same documents for the same query. Per script:

- Latin and other alphabets: Unicode NFKC, case folding, accents removed, English
  stop words dropped, Snowball English stemming ("logging" → "log").
- Arabic: diacritics and tatweel removed, letter variants unified (أ/إ/آ/ٱ→ا, ة→ه,
  ى→ي), the article ال with its attached prepositions (وال، بال، كال، فال، لل) and a
  leading و removed, then a few common suffixes (pronouns, plurals) — a light stemmer,
  because a full one (Snowball's) also strips a ب that belongs to the word (بطاقة).
- Chinese, Japanese, Korean: overlapping two-character pieces ("无法登录" → 无法 法登
  登录), so any two-character word of a query is found without a dictionary.
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_english = snowballstemmer.stemmer("english")

_ENGLISH = """a about above after again against all am an and any are as at be because been
    before being below between both but by can cannot could did do does doing down during
    each few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just me more most my myself no nor not of off on once
    only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren won
    hasn haven"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH.split())
_ARABIC_STOP_WORDS_RAW = """
    في من على الى عن مع هذا هذه ذلك تلك هو هي هم انا انت نحن ما ماذا لماذا كيف متى
    اين هل او ثم قد كان كانت يكون ان التي الذي الذين عند لدي لدى اي كل بعد قبل حتى
    اذا لم لن لا نعم الي على"""

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian yeh, common in Arabic typed on Persian keyboards
        "ک": "ك",
    }
)
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_ARABIC_SUFFIXES = ("كما", "هما", "ات", "ان", "ون", "ين", "ها", "هم", "كم", "نا", "يه", "ه", "ي")
# Pronoun suffixes after which a final ت was a ة (بطاقتي "my card" → بطاقة "card").
_PRONOUNS = ("كما", "هما", "ها", "هم", "كم", "نا", "ه", "ي")


@lru_cache(maxsize=8192)
def _char_class(char: str) -> str:
    """'cjk', 'arabic', 'word' (other letters and digits), 'mark' or 'space'."""
    code = ord(char)
    if (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x3040 <= code <= 0x30FF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    ):
        return "cjk"
    category = unicodedata.category(char)
    if category in ("Mn", "Mc", "Me") or char == "\u0640":
        return "mark"
    if (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0xFB50 <= code <= 0xFDFF  # presentation forms, folded by NFKC later
        or 0xFE70 <= code <= 0xFEFF
    ):
        return "arabic" if category[0] in "LN" else "space"
    if category[0] in "LN":
        return "word"
    return "space"


def _runs(text: str) -> list[tuple[str, str]]:
    """Split text into (class, run) pieces; combining marks stay inside their word."""
    runs: list[tuple[str, str]] = []
    kind, current = "", []
    for char in text:
        cls = _char_class(char)
        if cls == "mark":
            if current:
                current.append(char)
            continue
        if cls != kind and current:
            runs.append((kind, "".join(current)))
            current = []
        kind = cls
        if cls != "space":
            current.append(char)
    if current:
        runs.append((kind, "".join(current)))
    return [(k, r) for k, r in runs if k != "space"]


def normalize_arabic(word: str) -> str:
    """Letter-level normalization only (no affixes): for display-independent matching."""
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)


ARABIC_STOP_WORDS = frozenset(normalize_arabic(w) for w in _ARABIC_STOP_WORDS_RAW.split())


@lru_cache(maxsize=65536)
def stem_arabic(word: str) -> str:
    word = normalize_arabic(word)
    if word[:1] in ("و", "ف") and word[1:].startswith(("بال", "كال", "لل")):
        word = word[1:]  # وبالبطاقه: "and with the card"
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if word.startswith("و") and len(word) >= 4:
            word = word[1:]
    for suffix in _ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in _PRONOUNS and word.endswith("ت") and len(word) >= 4:
                # بطاقت (from بطاقتي) is the same noun as بطاقه: drop the t as well.
                word = word[:-1]
            break
    return word


@lru_cache(maxsize=65536)
def stem_latin(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _english.stemWord(plain)


def _cjk_pieces(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """The search tokens of a text, in order, repeats kept (term frequency counts)."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for kind, run in _runs(text):
        if kind == "cjk":
            out.extend(_cjk_pieces(run))
        elif kind == "arabic":
            digits = _as_ascii_digits(run)
            if digits is not None:
                out.append(digits)
                continue
            if normalize_arabic(run) in ARABIC_STOP_WORDS:
                continue
            stem = stem_arabic(run)
            if stem:
                out.append(stem)
        else:
            run = "".join(c for c in run if not unicodedata.combining(c))
            if run in ENGLISH_STOP_WORDS or (len(run) == 1 and not run.isdigit()):
                continue
            digits = _as_ascii_digits(run)
            out.append(digits if digits is not None else stem_latin(run))
    return out


def _as_ascii_digits(run: str) -> str | None:
    """Arabic-Indic and other digits as ASCII ("٣" → "3"), so numbers match across scripts."""
    if not run.isdigit():
        return None
    return "".join(str(unicodedata.digit(c)) for c in run)


def index_text(text: str, *, limit: int = 200_000) -> str:
    """What the backends index: the tokens joined by spaces (long texts cut at limit chars)."""
    return " ".join(tokens(text[:limit]))


def query_tokens(text: str, *, limit: int = 64) -> list[str]:
    """Distinct tokens of a query, first occurrences first, at most `limit` of them."""
    seen: dict[str, None] = {}
    for token in tokens(text[:5000]):
        seen.setdefault(token, None)
        if len(seen) >= limit:
            break
    return list(seen)


def detect_language(text: str) -> str:
    """'ar', 'zh' or 'en' from the script most letters are written in (for filtering)."""
    counts = {"arabic": 0, "cjk": 0, "word": 0}
    for char in unicodedata.normalize("NFKC", text[:2000]):
        cls = _char_class(char)
        if cls in counts:
            counts[cls] += 1
    if counts["arabic"] > counts["word"] / 2 and counts["arabic"] >= counts["cjk"]:
        return "ar"
    if counts["cjk"] * 2 > counts["word"] / 2 and counts["cjk"]:
        return "zh"
    return "en"
