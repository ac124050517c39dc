"""FTS5's bm25, written as an SQL expression over a document's own tokens.

FTS5's bm25() starts every query by counting, for each phrase of the query, the
documents that hold it, reading the phrase's whole list in the index: at 1M tickets
(2M documents) that was most of the cost of ranking a window of 2,000 documents for
an agent (the desk token's list holds 900,000 documents, "password" 280,000), and it
did not shrink with the window. Here the same function is computed without that
scan: the same formula as fts5_aux.c (k1 1.2, b 0.75, per-column weights, IDF
log((N - n + 0.5) / (n + 0.5)), at least 1e-6), with N and the average document
length read from the index's totals record, n counted once per word and kept a few
minutes when it is large (see document_count), and the word counts of a row taken
from its space-separated tokens: the index's tokenizer only splits them on spaces
(search/text.py), so counting " word " in them counts what FTS5 counts.
"""

import math
import time

from django.db import connection

# fts5_aux.c's constants.
K1 = 1.2
B = 0.75
MIN_IDF = 1e-6
# Words held by fewer documents are counted at every query (reading their list costs
# less than a millisecond); more common ones are kept for COUNT_TTL seconds per
# process, in which their count moves by a tiny fraction of itself.
CACHED_FROM = 5_000
COUNT_TTL = 300.0
# A count is read again sooner when the index grew or shrank by more than this.
COUNT_DRIFT = 0.01

_counts: dict[str, tuple[int, int, float]] = {}


def _varints(blob: bytes) -> list[int]:
    """SQLite's varints (the format of FTS5's records)."""
    values, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def index_totals(table: str = "search_fts") -> tuple[int, int]:
    """(documents, tokens in all columns) of the FTS5 index: its totals record (rowid 1
    of %_data), which FTS5 keeps up to date on every write and bm25() reads too."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT block FROM {table}_data WHERE id = 1")  # noqa: S608 - fixed name
        row = cursor.fetchone()
    if row is None:
        return 0, 0
    values = _varints(bytes(row[0]))
    return values[0], sum(values[1:])


def document_count(token: str, documents: int, table: str = "search_fts") -> int:
    """How many documents hold `token` in their title or body: bm25()'s n."""
    cached = _counts.get(token)
    if cached is not None:
        count, then, at = cached
        if time.monotonic() - at < COUNT_TTL and abs(documents - then) <= then * COUNT_DRIFT:
            return count
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE {table} MATCH %s",  # noqa: S608 - fixed name
            [f'{{tokens_title tokens_body}} : "{token}"'],
        )
        count = cursor.fetchone()[0]
    if count >= CACHED_FROM:
        _counts[token] = (count, documents, time.monotonic())
    else:
        _counts.pop(token, None)
    return count


def idf(count: int, documents: int) -> float:
    value = math.log((documents - count + 0.5) / (count + 0.5)) if documents else 0.0
    return value if value > 0 else MIN_IDF


def statistics(tokens: list[str]) -> tuple[float, list[float]]:
    """The index's average document length and each word's IDF: what bm25 needs of
    the whole index, read once per query."""
    documents, total = index_totals()
    average = total / documents if documents else 1.0
    return average, [idf(document_count(t, documents), documents) for t in tokens]


def scores(
    rows: list[tuple[str, str, str]],
    tokens: list[str],
    title_weight: float,
    body_weight: float,
) -> list[float]:
    """bm25 (higher is better) of rows of (tokens_title, tokens_body, access), the
    same arithmetic in the same order as expression() so the scores are equal to the
    last bit. Measured at 1M tickets: 3-4 ms for a window of 2,000 rows of three
    common words, where the SQL expression (whose replace() copies each text once per
    word) took 5-70 ms in a second statement."""
    if not rows:
        return []
    average, weights = statistics(tokens)
    terms = [(weight, f" {token} ", token) for weight, token in zip(weights, tokens, strict=True)]
    ranked = []
    for title, body, access in rows:
        # Tokens are single-space separated: as the SQL counts a column's length.
        length = title.count(" ") + body.count(" ") + access.count(" ")
        length += (title != "") + (body != "") + (access != "")
        norm = K1 * ((1 - B) + B * length / average)
        # Every token as " token ", spaces doubled so that " a a " counts two "a";
        # padded only when a text holds a word at all (inline: called per row and word).
        padded_title = padded_body = ""
        score = 0.0
        for weight, word, token in terms:
            in_title = in_body = 0
            if token in title:
                padded_title = padded_title or " " + title.replace(" ", "  ") + " "
                in_title = padded_title.count(word)
            if token in body:
                padded_body = padded_body or " " + body.replace(" ", "  ") + " "
                in_body = padded_body.count(word)
            f = title_weight * in_title + body_weight * in_body
            score += weight * f * (K1 + 1) / (f + norm)
        ranked.append(score)
    return ranked


def expression(
    tokens: list[str], title_weight: float, body_weight: float
) -> tuple[str, list[object]]:
    """SQL for bm25 of search_searchdocument's row (higher is better, as -bm25()),
    with its parameters. Access tokens are never part of the score (weight 0) but
    count in the document's length, as they do for bm25()."""
    average, weights = statistics(tokens)
    row = "search_searchdocument"
    length = " + ".join(
        f"(length({row}.{c}) - length(replace({row}.{c}, ' ', '')) + ({row}.{c} <> ''))"
        for c in ("tokens_title", "tokens_body", "access")
    )
    # Each level computes its values once per row: a subquery with OFFSET is not
    # merged into the one above it, which would repeat its expressions in every use.
    # The title and body are padded so that every token is " token ", spaces doubled
    # so that " a a " counts two "a".
    padded = (
        f"SELECT ' ' || replace({row}.tokens_title, ' ', '  ') || ' ' AS title, "
        f"' ' || replace({row}.tokens_body, ' ', '  ') || ' ' AS body, "
        f"{K1} * ({1 - B} + {B} * ({length}) / %s) AS norm LIMIT -1 OFFSET 0"
    )
    params: list[object] = [average]
    counts, terms = [], []
    for i, token in enumerate(tokens):
        word = f" {token} "
        counts.append(
            f"{title_weight} * ((length(title) - length(replace(title, %s, ''))) / %s)"
            f" + {body_weight} * ((length(body) - length(replace(body, %s, ''))) / %s) AS f{i}"
        )
        params += [word, len(word), word, len(word)]
        terms.append(f"%s * f{i} * {K1 + 1} / (f{i} + norm)")
    # Fixed SQL: the words are bound parameters.
    sql = (
        f"(SELECT {' + '.join(terms) or '0.0'} FROM "  # noqa: S608
        f"(SELECT {', '.join([*counts, 'norm'])} FROM ({padded}) LIMIT -1 OFFSET 0))"
    )
    # Parameters in the order they appear: the weights, then the inner levels'.
    return sql, [*weights, *params[1:], params[0]]
