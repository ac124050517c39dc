"""Images and attachments of articles. Upload: the article's editors; download:
whoever may read the article (so images of public articles show in the help center)."""

from datetime import datetime

from django.http import FileResponse, HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from deskline.api.routers.search import PUBLIC_AUTH, PUBLIC_FILE_AUTH
from deskline.api.schemas import Error
from deskline.core.errors import NotFound
from deskline.core.ids import Id
from deskline.kb.access import get_article_for_user
from deskline.kb.files import file_path, file_url, store_article_file
from deskline.kb.models import ArticleFile
from deskline.tickets.attachments import ACTIVE_TYPES

router = Router(tags=["knowledge base"])
ERRORS = {401: Error, 403: Error, 404: Error, 413: Error, 422: Error}


class ArticleFileOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str
    markdown: str
    created_at: datetime


def file_out(item: ArticleFile) -> dict[str, object]:
    url = file_url(item)
    image = item.content_type.startswith("image/") and item.content_type not in ACTIVE_TYPES
    return {
        "id": item.pk,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": item.size,
        "url": url,
        # What to paste into the article's body to show or link it.
        "markdown": f"![{item.filename}]({url})" if image else f"[{item.filename}]({url})",
        "created_at": item.created_at,
    }


@router.post("/kb/articles/{article_id}/files", response={201: ArticleFileOut, **ERRORS})
def upload_file(request: HttpRequest, article_id: str, file: File[UploadedFile]) -> Status:
    article = get_article_for_user(request.auth, article_id, write=True)
    item = store_article_file(
        article, filename=file.name or "file", stream=file, uploaded_by=request.auth
    )
    return Status(201, file_out(item))


@router.get(
    "/kb/articles/{article_id}/files",
    response={200: list[ArticleFileOut], **ERRORS},
    auth=PUBLIC_AUTH,
)
def list_files(request: HttpRequest, article_id: str) -> list[dict[str, object]]:
    article = get_article_for_user(request.auth, article_id)
    return [file_out(item) for item in ArticleFile.objects.filter(article=article)]


@router.get("/kb/files/{file_id}", response={**ERRORS}, auth=PUBLIC_FILE_AUTH)
def download_file(request: HttpRequest, file_id: Id) -> FileResponse:
    item = ArticleFile.objects.filter(pk=file_id).first()
    if item is None:
        raise NotFound(f"file {file_id} not found")
    try:
        get_article_for_user(request.auth, item.article_id)
    except NotFound:
        raise NotFound(f"file {file_id} not found") from None
    path = file_path(item)
    if not path.exists():
        raise NotFound(f"file {file_id} is missing from storage")
    # Types a browser would run (HTML, SVG) are only ever downloaded.
    active = item.content_type in ACTIVE_TYPES
    response = FileResponse(
        path.open("rb"),
        as_attachment=active
        or not item.content_type.startswith(("image/", "text/plain", "application/pdf")),
        filename=item.filename,
        content_type="application/octet-stream" if active else item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
