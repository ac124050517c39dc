"""The signed-in user's notifications and how they want them."""

from django.http import HttpRequest
from ninja import Router

from deskline.api.schemas import Error
from deskline.automation.api_schemas import (
    MarkReadIn,
    NotificationPage,
    PreferenceIO,
)
from deskline.notifications import services

router = Router(tags=["notifications"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


@router.get("/notifications", response={200: NotificationPage, **ERRORS})
def list_notifications(request: HttpRequest, unread: bool = False, limit: int = 50) -> dict:
    rows = services.visible_notifications(request.auth).select_related("ticket")
    if unread:
        rows = rows.filter(read_at__isnull=True)
    items = [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": n.text,
            "ticket": n.ticket.number if n.ticket_id else None,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in rows[: max(1, min(limit, 200))]
    ]
    count = services.visible_notifications(request.auth).filter(read_at__isnull=True).count()
    return {"items": items, "unread": count}


@router.post("/notifications/read", response={200: dict, **ERRORS})
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict:
    return {"marked": services.mark_read(request.auth, payload.ids)}


@router.get("/notifications/preferences", response={200: PreferenceIO, **ERRORS})
def get_preferences(request: HttpRequest) -> dict:
    preference = services.preference_for(request.auth)
    return {"mail": preference.mail, "muted_kinds": preference.muted_kinds}


@router.put("/notifications/preferences", response={200: PreferenceIO, **ERRORS})
def set_preferences(request: HttpRequest, payload: PreferenceIO) -> dict:
    preference = services.set_preference(
        request.auth, mail=payload.mail, muted_kinds=payload.muted_kinds
    )
    return {"mail": preference.mail, "muted_kinds": preference.muted_kinds}
