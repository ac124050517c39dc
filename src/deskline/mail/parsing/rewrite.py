"""Pointing inline images (cid:) of a sanitized HTML body at stored attachments."""

import re
from collections.abc import Callable
from urllib.parse import unquote

_CID_SRC = re.compile(r"""(\bsrc\s*=\s*)(["']?)cid:([^"'\s>]+)\2""", re.IGNORECASE)


def rewrite_cid(html: str, url_for: Callable[[str], str | None]) -> str:
    """Replace src="cid:X" by url_for(X) (X without <>, URL-decoded); an image whose
    content id has no attachment loses its src instead of pointing nowhere."""

    def replace(match: re.Match[str]) -> str:
        content_id = unquote(match.group(3)).strip("<>")
        url = url_for(content_id)
        if not url:
            return 'src=""'
        safe = url.replace("&", "&amp;").replace('"', "&quot;")
        return f'{match.group(1)}"{safe}"'

    return _CID_SRC.sub(replace, html)
