"""Plain text from mail HTML that keeps what reply stripping needs: quoted blocks
(<blockquote>) become "> " lines and rules (<hr>) stay visible."""

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "pre", "center", "dl", "dt", "dd", "address", "section", "article", "header", "footer",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "xml", "noscript"}


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote nesting
        self.line_depth = 0
        self.skip = 0
        self.pre = 0

    def _break(self) -> None:
        text = "".join(self.current)
        if not self.pre:
            text = re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
        self.lines.append(("> " * self.line_depth) + text if text else "> " * self.line_depth)
        self.current = []
        self.line_depth = self.depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self._break()
            self.depth += 1
            self.line_depth = self.depth
        elif tag == "hr":
            self._break()
            self.lines.append("> " * self.depth + "-" * 30)
        elif tag in _BLOCK:
            if tag == "pre":
                self.pre += 1
            if tag == "br" or self.current:
                self._break()
            if tag == "li":
                self.current.append("- ")
        elif tag in {"td", "th"} and self.current:
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self._break()
            self.depth = max(0, self.depth - 1)
            self.line_depth = self.depth
        elif tag in _BLOCK and tag != "br":
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            if self.current:
                self._break()
        elif tag in {"td", "th"}:
            self.current.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.current:
            self.line_depth = self.depth
        if self.pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self.current.append(part)
                self._break()
            self.current.append(parts[-1])
        else:
            self.current.append(data)


def html_to_text(html: str) -> str:
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage
        pass
    parser._break()
    text = "\n".join(line.rstrip().replace("\xa0", " ") for line in parser.lines)
    text = re.sub(r"\n(?:>? ?)*\n(?:(?:>? ?)*\n)+", _collapse, text)
    return text.strip("\n")


def _collapse(match: re.Match[str]) -> str:
    # Runs of empty lines become one empty line, keeping the quote depth of the last.
    lines = match.group(0).split("\n")
    return "\n" + lines[-2] + "\n"
