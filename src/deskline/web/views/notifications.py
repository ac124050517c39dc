"""The signed-in user's in-app notifications: the list page and the header badge that
live pushes refresh (web/live.py tells the page; the badge comes fresh over HTTP)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deskline.accounts.models import User
from deskline.notifications.models import Notification
from deskline.notifications.services import mark_read

PAGE_SIZE = 50


def badge_context(user: User) -> dict[str, Any]:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return {"unread": unread.count(), "latest": unread.order_by("-created_at", "-id").first()}


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).select_related("ticket")
    return render(request, "web/notifications.html", {"rows": rows[:PAGE_SIZE]})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_read(request.user)
    return redirect("web:notifications")


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_notification_badge.html", badge_context(request.user))
