"""Highlights computed from the stored text, the same on every backend: a word is
marked when its search token is one of the query's (so "logging" lights up for "log")."""

import html
import re
from functools import lru_cache

from deskline.search.text import tokens

WINDOW = 220


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"
_WORDS = re.compile(f"([{_CJK}]+)|([{_ARABIC}]+)|((?:(?![{_CJK}{_ARABIC}_])\\w)+)")


def _token_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) for every token of text, with offsets into text itself."""
    spans: list[tuple[int, int, str]] = []
    for match in _WORDS.finditer(text):
        start, end = match.span()
        if match.group(1):
            if end - start == 1:
                spans.append((start, end, match.group(1)))
            else:
                spans.extend((i, i + 2, text[i : i + 2]) for i in range(start, end - 1))
            continue
        token = _word_token(match.group(0))
        if token:
            spans.append((start, end, token))
    return spans


@lru_cache(maxsize=65536)
def _word_token(word: str) -> str:
    found = tokens(word)
    return found[0] if found else ""


def highlight(text: str, query: list[str], *, window: int = WINDOW) -> str:
    """Escaped HTML: a window of text around the first match, matches in <mark>."""
    wanted = set(query)
    spans = [(s, e) for s, e, token in _token_spans(text) if token in wanted]
    if not spans:
        cut = text[:window]
        return html.escape(cut) + ("…" if len(text) > window else "")
    first = spans[0][0]
    begin = max(0, first - window // 4)
    end = min(len(text), begin + window)
    out: list[str] = ["…" if begin else ""]
    position = begin
    for s, e in _merge(spans):
        if e <= begin or s >= end:
            continue
        s, e = max(s, begin), min(e, end)
        out.append(html.escape(text[position:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        position = e
    out.append(html.escape(text[position:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out).replace("\n", " ")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping two-character pieces (Chinese) become one marked stretch."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
