"""Authentication-Results (RFC 8601): what a receiving mail server found of SPF, DKIM, DMARC.

Parsed leniently: comments (nested, with quoted pairs), quoted strings, folding, any
casing, spaces around "=" and "/", several methods in one header. A part that does not
parse is skipped, never raised: a header is input the sender may have written.
"""

from dataclasses import dataclass, field

# A header longer than this is not one a mail server wrote: read no further.
MAX_LENGTH = 16_000


@dataclass(frozen=True)
class MethodResult:
    """One resinfo: "dkim=pass header.d=example.com" (names and results in lower case)."""

    method: str
    result: str
    # ptype.property (lower case) → value as written, unquoted: {"header.d": "example.com"}
    props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    authserv_id: str  # lower case
    results: list[MethodResult]


def _segments(value: str) -> list[list[str]]:
    """The header split at ";" into lists of tokens: words, quoted strings (kept with
    their quotes, to tell them from words) and the specials "=" and "/". Comments are
    dropped; an unclosed comment or quote ends the header."""
    segments: list[list[str]] = [[]]
    tokens = segments[0]
    word: list[str] = []
    i, depth, n = 0, 0, len(value)

    def flush() -> None:
        if word:
            tokens.append("".join(word))
            word.clear()

    while i < n:
        char = value[i]
        if depth:  # inside a comment
            if char == "\\":
                i += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
        elif char == "(":
            flush()
            depth = 1
        elif char == '"':
            flush()
            end, text = i + 1, []
            while end < n and value[end] != '"':
                if value[end] == "\\" and end + 1 < n:
                    end += 1
                text.append(value[end])
                end += 1
            if end >= n:
                break  # unclosed: the rest is not trustworthy
            tokens.append('"' + "".join(text))
            i = end
        elif char == ";":
            flush()
            tokens = []
            segments.append(tokens)
        elif char in "=/":
            flush()
            tokens.append(char)
        elif char.isspace():
            flush()
        else:
            word.append(char)
        i += 1
    flush()
    return segments


def _text(token: str) -> str:
    return token[1:] if token.startswith('"') else token


def _resinfo(tokens: list[str]) -> MethodResult | None:
    """method[/version]=result [reason=…] [ptype.property=value …]."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        key = tokens[i]
        if key in "=/" or key.startswith('"'):
            i += 1
            continue
        j = i + 1
        if j + 1 < len(tokens) and tokens[j] == "/":  # a method version: dkim/1=pass
            j += 2
        if j + 1 < len(tokens) and tokens[j] == "=" and tokens[j + 1] not in "=/":
            pairs.append((key.lower(), _text(tokens[j + 1])))
            i = j + 2
        else:
            i += 1
    if not pairs or "." in pairs[0][0] or pairs[0][0] == "reason":
        return None
    (method, result), rest = pairs[0], pairs[1:]
    props = {key: value for key, value in rest if "." in key}
    return MethodResult(method, result.lower(), props)


def parse(value: str) -> AuthResults | None:
    """The header's authserv-id and results; None when it has no authserv-id."""
    segments = _segments(value[:MAX_LENGTH])
    head = [t for t in segments[0] if t not in "=/"]
    if not head:
        return None
    authserv_id = _text(head[0]).strip().lower()
    if not authserv_id:
        return None
    results = [r for r in (_resinfo(tokens) for tokens in segments[1:]) if r is not None]
    return AuthResults(authserv_id, results)
