"""Which language a ticket is written in, from its script and its commonest words.

Small and honest: the script settles Arabic, Chinese, Japanese, Korean, Russian,
Hebrew, Greek, Thai and Hindi; among Latin-script languages the share of each
language's function words decides (English, French, German, Spanish, Portuguese,
Italian, Dutch). Anything else is "und" (undetermined) rather than a guess.
"""

import re
import unicodedata
from dataclasses import dataclass

from deskline.triage.ml.text import repair_mojibake

UNDETERMINED = "und"

_FUNCTION_WORDS = {
    "en": "the and to of is in it you that for on my i was with this have not be are can "
    "please we do at your from but me will there how what when a an why or if as by",
    "fr": "le la les de des et est un une je pas que pour dans ne en sur vous il mon ma "
    "avec au du nous ce qui merci bonjour",
    "de": "der die das und ist nicht ich ein eine zu mit den von sie es auf für im dem "
    "bitte wir mein meine kann auch bei danke hallo",
    "es": "el la los las de y que en un una es no por para con mi se lo del al su me "
    "gracias hola está como pero",
    "pt": "o a os as de e que em um uma não para com meu minha se do da no na por é "
    "obrigado olá está como mas",
    "it": "il lo la gli le di e che un una non per con mio mia si del della in è sono "
    "grazie ciao come ma ho",
    "nl": "de het een en van is niet ik dat op te met voor mijn zijn er maar ook dank "
    "hallo graag kan wij",
}
_WORD_LANGS: dict[str, list[str]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _word in _words.split():
        _WORD_LANGS.setdefault(_word, []).append(_lang)

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PERSIAN = set("پچژگ")
_URDU = set("ٹڈڑںے")
_UKRAINIAN = set("іїєґ")


@dataclass(frozen=True)
class Language:
    code: str
    confidence: float


def _script(char: str) -> str | None:
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
        return "han"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "hangul"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if 0x0370 <= code <= 0x03FF:
        return "greek"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x0900 <= code <= 0x097F:
        return "devanagari"
    if char.isalpha() and unicodedata.name(char, "").startswith("LATIN"):
        return "latin"
    return None


def detect_language(text: str) -> Language:
    """The language code (ISO 639-1) and a confidence in [0, 1]."""
    text = repair_mojibake(text or "")
    counts: dict[str, int] = {}
    for char in text:
        script = _script(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    letters = sum(counts.values())
    if not letters:
        return Language(UNDETERMINED, 0.0)
    # Kana anywhere means Japanese even when kanji outnumber it.
    if counts.get("kana", 0) >= max(2, 0.05 * letters):
        return Language("ja", (counts["kana"] + counts.get("han", 0)) / letters)
    script, count = max(counts.items(), key=lambda item: item[1])
    if script == "latin":
        latin = _latin_language(text, count / letters)
        others = {k: v for k, v in counts.items() if k != "latin"}
        if latin.code != UNDETERMINED or not others:
            return latin
        # Latin letters without any known function word (ids, product names) next to
        # another script: the other script carries the language.
        script, count = max(others.items(), key=lambda item: item[1])
    return _script_language(text, script, count / letters)


def _script_language(text: str, script: str, share: float) -> Language:
    if script == "arabic":
        chars = set(text)
        if chars & _URDU:
            return Language("ur", share * 0.9)
        if chars & _PERSIAN:
            return Language("fa", share * 0.9)
        return Language("ar", share)
    if script == "cyrillic":
        return Language("uk" if set(text.lower()) & _UKRAINIAN else "ru", share)
    simple = {
        "han": "zh",
        "hangul": "ko",
        "hebrew": "he",
        "greek": "el",
        "thai": "th",
        "devanagari": "hi",
    }
    return Language(simple.get(script, UNDETERMINED), share if script in simple else 0.0)


def _latin_language(text: str, share: float) -> Language:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return Language(UNDETERMINED, 0.0)
    scores = dict.fromkeys(_FUNCTION_WORDS, 0.0)
    for word in words:
        langs = _WORD_LANGS.get(word)
        if langs:
            for lang in langs:
                scores[lang] += 1.0 / len(langs)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0:
        return Language(UNDETERMINED, 0.0)
    # Confidence: how far ahead the winner is, and how much of the text was evidence.
    margin = (top - second) / top
    coverage = min(1.0, top / max(3.0, 0.25 * len(words)))
    return Language(best, round(share * (0.5 + 0.5 * margin) * (0.5 + 0.5 * coverage), 3))
