"""Who may use the setup pages: admins everywhere, supervisors on their desks."""

from deskline.accounts.models import User
from deskline.desks.models import Desk, Role
from deskline.tickets.access import desk_roles


def managed_desk_ids(user: User) -> list[int]:
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return [d for d, role in desk_roles(user).items() if role == Role.SUPERVISOR]


def can_manage_desk(user: User, desk: Desk) -> bool:
    return user.is_authenticated and (
        user.is_superuser or desk_roles(user).get(desk.pk) == Role.SUPERVISOR
    )
