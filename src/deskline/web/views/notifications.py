"""The signed-in user's in-app notifications: the list page and the header badge that
live pushes refresh (web/live.py tells the page; the badge comes fresh over HTTP)."""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from deskline.accounts.models import User
from deskline.api.pagination import page_by
from deskline.core.ids import parse_id
from deskline.notifications.services import mark_read, visible_notifications

PAGE_SIZE = 50


def badge_context(user: User) -> dict[str, Any]:
    unread = visible_notifications(user).filter(read_at__isnull=True)
    return {"unread": unread.count(), "latest": unread.order_by("-created_at", "-id").first()}


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = visible_notifications(request.user).select_related("ticket")
    try:
        rows, next_cursor = page_by(mine, "created_at", request.GET.get("cursor"), PAGE_SIZE)
    except ValidationError:
        # An edited or stale link: start again from the newest rather than fail.
        rows, next_cursor = page_by(mine, "created_at", None, PAGE_SIZE)
    context = {
        "rows": rows,
        "next_query": urlencode({"cursor": next_cursor}) if next_cursor else "",
        "paged": bool(request.GET.get("cursor")),
    }
    return render(request, "web/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread notification read, or only the one named by `id`."""
    one = request.POST.get("id", "")
    if not one:
        mark_read(request.user, None)
    elif (number := parse_id(one)) is not None:
        mark_read(request.user, [number])
    return redirect("web:notifications")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its ticket; following it is reading it."""
    note = get_object_or_404(visible_notifications(request.user), pk=pk)
    mark_read(request.user, [note.pk])
    if note.ticket_id is None:
        return redirect("web:notifications")
    return redirect("web:ticket", note.ticket.number)


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_notification_badge.html", badge_context(request.user))
