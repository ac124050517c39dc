"""Article Markdown → HTML, then through the one HTML sanitizer (core.html)."""

from markdown_it import MarkdownIt

from deskline.core.html import html_to_text, sanitize_html

# Raw HTML in the source is escaped rather than passed on; the sanitizer still runs
# after rendering, as a second fence (links, images).
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(source: str) -> str:
    return sanitize_html(_renderer.render(source or ""))


def markdown_to_text(source: str) -> str:
    return html_to_text(render_markdown(source))
