"""Images and attachments of articles: the same checks and content-addressed storage
as ticket attachments (tickets.attachments), but owned by an article."""

from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from deskline.accounts.models import User
from deskline.kb.models import Article, ArticleFile
from deskline.tickets.attachments import write_file


def store_article_file(
    article: Article, *, filename: str, stream: BinaryIO, uploaded_by: User | None
) -> ArticleFile:
    stored = write_file(filename, stream)
    return ArticleFile.objects.create(
        article=article,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_path=stored.storage_path,
        uploaded_by=uploaded_by,
    )


def file_path(item: ArticleFile) -> Path:
    return Path(settings.ATTACHMENT_ROOT) / item.storage_path


def file_url(item: ArticleFile) -> str:
    """Under /api/: the only local image source the HTML sanitizer keeps (core.html)."""
    return f"/api/v1/kb/files/{item.pk}"
