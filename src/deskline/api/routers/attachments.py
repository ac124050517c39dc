from django.http import FileResponse, HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile

from deskline.api.schemas import AttachmentOut, Error
from deskline.api.serializers import attachment_out
from deskline.core.errors import NotFound
from deskline.core.ids import Id
from deskline.tickets.access import (
    check_can_upload,
    get_attachment_for_user,
    get_ticket_for_user,
)
from deskline.tickets.attachments import ACTIVE_TYPES, attachment_path, store_attachment

router = Router(tags=["attachments"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}


@router.post("/tickets/{ticket_id}/attachments", response={201: AttachmentOut, **ERRORS})
def upload_attachment(request: HttpRequest, ticket_id: str, file: File[UploadedFile]) -> Status:
    """Upload a file; send it by naming its id in a message's attachment_ids."""
    ticket = get_ticket_for_user(request.auth, ticket_id)
    check_can_upload(request.auth, ticket)
    attachment = store_attachment(
        ticket, filename=file.name or "attachment", stream=file, uploaded_by=request.auth
    )
    return Status(201, attachment_out(attachment))


@router.get("/attachments/{attachment_id}", url_name="download_attachment", response={**ERRORS})
def download_attachment(request: HttpRequest, attachment_id: Id) -> FileResponse:
    attachment = get_attachment_for_user(request.auth, attachment_id)
    path = attachment_path(attachment)
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment_id} is missing from storage")
    active = attachment.content_type in ACTIVE_TYPES
    response = FileResponse(
        path.open("rb"),
        as_attachment=active
        or not attachment.content_type.startswith(("image/", "text/plain", "application/pdf")),
        filename=attachment.filename,
        content_type="application/octet-stream" if active else attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
