from django import template
from django.conf import settings
from django.http import HttpRequest

from deskline.web.labels import label as label_for

register = template.Library()


@register.filter
def label(value: object, kind: str) -> str:
    """{{ ticket.status|label:"status" }} → the translated name."""
    return label_for(kind, value)


@register.filter
def queue_count(count: int) -> str:
    """A queue count as the home page shows it: past the cap, "1000+"."""
    from deskline.web.queues import COUNT_CAP

    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@register.filter
def filesize(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@register.simple_tag(takes_context=True)
def live_socket_base(context: template.Context) -> str:
    """Where this page opens its WebSocket, or "" when no ASGI process runs."""
    if settings.WS_URL:
        return settings.WS_URL
    request: HttpRequest | None = context.get("request")
    if not settings.WS_PORT or request is None:
        return ""
    scheme = "wss" if request.is_secure() else "ws"
    host = (
        request.get_host().rsplit(":", 1)[0]
        if "]" not in request.get_host()
        else (request.get_host().rsplit("]", 1)[0] + "]")
    )
    return f"{scheme}://{host}:{settings.WS_PORT}"


@register.simple_tag(takes_context=True)
def nav_flags(context: template.Context) -> dict[str, bool]:
    from deskline.tickets.access import is_agent_anywhere
    from deskline.web.permissions import managed_desk_ids

    user = context["request"].user
    return {
        "agent": is_agent_anywhere(user),
        "setup": user.is_superuser or bool(managed_desk_ids(user)),
    }


@register.inclusion_tag("web/_notification_badge.html")
def notification_badge(user: object) -> dict:
    """The header's notification link with the unread count; live pushes re-fetch it."""
    from deskline.web.views.notifications import badge_context

    return badge_context(user)


@register.filter
def describe_value(value: object, field: str) -> str:
    """An event's before/after value as short text, with vocabulary words translated."""
    from deskline.web.timeline import describe

    kinds = {"status": "status", "priority": "priority", "tier": "tier", "type": "type"}
    if field in kinds and value is not None:
        return label_for(kinds[field], value)
    if field in ("impact", "urgency") and value is not None:
        return label_for("level", value)
    return describe(value)


@register.filter
def get(mapping: object, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
