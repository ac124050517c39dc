"""In-app notices for supervisors and agents (there is no notification system yet)."""

from collections.abc import Iterable

from deskline.desks.models import DeskMembership, Role
from deskline.sla.models import Notification


def supervisors_by_desk(desk_ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = DeskMembership.objects.filter(desk_id__in=set(desk_ids), role=Role.SUPERVISOR)
    for desk_id, user_id in rows.values_list("desk_id", "user_id"):
        found.setdefault(desk_id, []).append(user_id)
    return found


def notification(user_id: int, ticket_id: int | None, kind: str, text: str) -> Notification:
    return Notification(user_id=user_id, ticket_id=ticket_id, kind=kind, text=text[:500])
