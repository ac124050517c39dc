"""HTML from outside (mail, API, portal) is cleaned once, when it is stored."""

import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
# dir and lang matter: Arabic mail must stay right-to-left after cleaning.
GENERIC_ATTRIBUTES = {"dir", "lang", "title", "align"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "font": {"color"},
    "ol": {"start", "type"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images leak that a message was read (tracking pixels): only inline
    # (cid:) images and our own attachment URLs are kept.
    if tag == "img" and attribute == "src":
        if value.startswith("cid:") or value.startswith("/api/"):
            return value
        return None
    return value


def sanitize_html(raw: str) -> str:
    if not raw or not raw.strip():
        return ""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        generic_attribute_prefixes=set(),
        attributes={**ALLOWED_ATTRIBUTES, "*": GENERIC_ATTRIBUTES},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )


_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"} and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(raw: str) -> str:
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def text_to_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
