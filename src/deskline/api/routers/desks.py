from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from deskline.accounts.models import User
from deskline.accounts.services import get_or_create_requester
from deskline.api.schemas import (
    CategoryIn,
    CategoryOut,
    CustomFieldIn,
    CustomFieldOut,
    DeskIn,
    DeskOut,
    DeskPatch,
    Error,
    MemberIn,
)
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import looks_numeric, parse_id
from deskline.desks import services
from deskline.desks.models import Category, CustomField, Desk, Role, Visibility
from deskline.tickets.access import ADMIN, agent_desk_ids, hidden_fields_by_desk, role_on_desk
from deskline.tickets.services import fields

router = Router(tags=["desks"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _desk_out(desk: Desk) -> dict:
    return {
        "id": desk.pk,
        "slug": desk.slug,
        "name": desk.name,
        "prefix": desk.prefix,
        "visibility": desk.visibility,
        "description": desk.description,
        "default_language": desk.default_language,
        "is_active": desk.is_active,
        "created_at": desk.created_at,
    }


def visible_desks(user) -> list[Desk]:  # type: ignore[no-untyped-def]
    """Desks a user may see: all for admins; their own and the ones they may ask."""
    desks = Desk.objects.filter(is_active=True)
    if user.is_superuser:
        return list(desks)
    open_to = [Visibility.EXTERNAL] + ([Visibility.INTERNAL] if user.is_employee else [])
    return [d for d in desks if d.visibility in open_to or d.pk in agent_desk_ids(user)]


def desk_for_user(
    user: User,
    value: int | str,
    *,
    manage: bool = False,
    field: str | None = None,
    closed: bool = False,
) -> Desk:
    """The desk by id or slug if the user may see it (and manage it, with manage=True).

    A desk named in the address that the user may not see is missing (404); one named by
    a body field (field="desk") is bad input naming the field (422), the same answer
    for a desk that does not exist and one the user may not see. A closed desk
    (is_active false) is missing to everyone, but with closed=True admins reach it too,
    to reopen it.
    """
    if closed and user.is_superuser and (found := _any_desk(value)) is not None:
        return found
    try:
        desk = fields.resolve_desk(value)
    except ValidationError:
        desk = None
    if desk is None or desk not in visible_desks(user):
        if field is not None:
            raise ValidationError({field: f"no desk {value!r}"})
        raise NotFound(f"desk {value} not found")
    if manage and role_on_desk(user, desk.pk) not in (ADMIN, Role.SUPERVISOR):
        raise Forbidden(f"only admins and supervisors of {desk.slug} may change it")
    return desk


def _any_desk(value: int | str) -> Desk | None:
    text = str(value).strip()
    if looks_numeric(text):
        number = parse_id(text)
        return Desk.objects.filter(pk=number).first() if number is not None else None
    return Desk.objects.filter(slug=text.lower()).first()


@router.get("/desks", response={200: list[DeskOut], **ERRORS})
def list_desks(request: HttpRequest) -> list[dict]:
    return [_desk_out(d) for d in visible_desks(request.auth)]


@router.post("/desks", response={201: DeskOut, **ERRORS})
def create_desk(request: HttpRequest, payload: DeskIn) -> Status:
    if not request.auth.is_superuser:
        raise Forbidden("only admins may create desks")
    desk = services.create_desk(**payload.model_dump(), actor=request.auth)
    return Status(201, _desk_out(desk))


@router.get("/desks/{desk_id}", response={200: DeskOut, **ERRORS})
def get_desk(request: HttpRequest, desk_id: str) -> dict:
    return _desk_out(desk_for_user(request.auth, desk_id))


@router.patch("/desks/{desk_id}", response={200: DeskOut, **ERRORS})
def update_desk(request: HttpRequest, desk_id: str, payload: DeskPatch) -> dict:
    """Change a desk's settings (by id or slug): admins every one of them; the desk's
    supervisors its name and description only (a change to any other is refused whole,
    403 naming it; a value sent back unchanged is no change). Admins reach a closed desk
    too, to reopen it. Each change is in the audit log."""
    desk = desk_for_user(request.auth, desk_id, manage=True, closed=True)
    changes = payload.model_dump(exclude_unset=True)
    return _desk_out(services.update_desk(desk, changes, actor=request.auth))


@router.put("/desks/{desk_id}/members", response={204: None, **ERRORS})
def set_member(request: HttpRequest, desk_id: str, payload: MemberIn) -> Status:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    if payload.role == Role.SUPERVISOR and not request.auth.is_superuser:
        # Asked before the address becomes a user; the service decides the rest.
        raise Forbidden("only admins may make supervisors")
    user = get_or_create_requester(payload.email)
    services.set_desk_role(desk, user, payload.role, actor=request.auth)
    return Status(204, None)


def _category_out(category: Category) -> dict:
    return {
        "id": category.pk,
        "path": category.path,
        "name": category.name,
        "parent_id": category.parent_id,
    }


@router.get("/desks/{desk_id}/categories", response={200: list[CategoryOut], **ERRORS})
def list_categories(request: HttpRequest, desk_id: str) -> list[dict]:
    desk = desk_for_user(request.auth, desk_id)
    return [_category_out(c) for c in Category.objects.filter(desk=desk)]


@router.post("/desks/{desk_id}/categories", response={201: CategoryOut, **ERRORS})
def create_category(request: HttpRequest, desk_id: str, payload: CategoryIn) -> Status:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    parent = fields.resolve_category(desk, payload.parent, field="parent")
    category = services.create_category(desk, name=payload.name, slug=payload.slug, parent=parent)
    return Status(201, _category_out(category))


def _field_out(field: CustomField) -> dict:
    return {
        "id": field.pk,
        "key": field.key,
        "label": field.label,
        "field_type": field.field_type,
        "choices": field.choices,
        "required": field.required,
        "visible_to_requester": field.visible_to_requester,
    }


@router.get("/desks/{desk_id}/custom-fields", response={200: list[CustomFieldOut], **ERRORS})
def list_custom_fields(request: HttpRequest, desk_id: str) -> list[dict]:
    desk = desk_for_user(request.auth, desk_id)
    hidden = hidden_fields_by_desk(request.auth, {desk.pk}).get(desk.pk, set())
    return [_field_out(f) for f in CustomField.objects.filter(desk=desk) if f.key not in hidden]


@router.post("/desks/{desk_id}/custom-fields", response={201: CustomFieldOut, **ERRORS})
def create_custom_field(request: HttpRequest, desk_id: str, payload: CustomFieldIn) -> Status:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    field = services.create_custom_field(desk, actor=request.auth, **payload.model_dump())
    return Status(201, _field_out(field))
