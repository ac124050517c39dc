"""Routing: a desk's assignment rule, agents' availability, tiers and vendors."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import Field

from deskline.accounts.models import User
from deskline.api.routers.desks import desk_for_user
from deskline.api.routers.tickets import _single_ticket
from deskline.api.schemas import Error, Input, TicketOut
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.desks.models import Role
from deskline.routing.models import CategoryRoute, DeskRouting, Mode, Vendor
from deskline.routing.services import escalation, vendors
from deskline.routing.services.availability import set_availability
from deskline.tickets.access import ADMIN, desk_roles, get_ticket_for_user, role_on_desk
from deskline.tickets.services import fields

router = Router(tags=["routing"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class RoutingIn(Input):
    mode: str = Mode.MANUAL
    default_team: str | Id | None = None
    reassign_after_minutes: int | None = Field(default=60, ge=1, le=60 * 24 * 30)
    # category path → team slug
    category_routes: dict[str, str] = {}


class RoutingOut(Schema):
    desk: str
    mode: str
    default_team: str | None
    reassign_after_minutes: int | None
    category_routes: dict[str, str]


class AvailabilityIn(Input):
    status: str | None = None
    working_hours: dict[str, list[list[str]]] | None = None
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    skills: list[str] | None = None


class AvailabilityOut(Schema):
    user: int
    status: str
    status_since: Any
    working_hours: dict[str, Any]
    capacity: int | None
    skills: list[str]


class EscalateIn(Input):
    reason: str = Field(max_length=2000)
    tier: int | None = Field(default=None, ge=1, le=4)
    vendor: int | str | None = None
    reference: str = Field(default="", max_length=100)


class ReferenceIn(Input):
    reference: str = Field(max_length=100)


class VendorIn(Input):
    desk: int | str
    name: str = Field(min_length=1, max_length=200)
    contact_email: str = Field(min_length=3, max_length=254)
    organization: Id | None = None


class VendorOut(Schema):
    id: int
    desk: str
    name: str
    contact_email: str
    organization: int | None


def _routing_out(routing: DeskRouting) -> dict:
    routes = CategoryRoute.objects.filter(desk_id=routing.desk_id).select_related(
        "category", "team"
    )
    return {
        "desk": routing.desk.slug,
        "mode": routing.mode,
        "default_team": routing.default_team.slug if routing.default_team_id else None,
        "reassign_after_minutes": routing.reassign_after_minutes,
        "category_routes": {r.category.path: r.team.slug for r in routes},
    }


@router.get("/desks/{desk_id}/routing", response={200: RoutingOut, **ERRORS})
def get_routing(request: HttpRequest, desk_id: str) -> dict:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    routing, _ = DeskRouting.objects.get_or_create(desk=desk)
    return _routing_out(routing)


@router.put("/desks/{desk_id}/routing", response={200: RoutingOut, **ERRORS})
@transaction.atomic
def put_routing(request: HttpRequest, desk_id: str, payload: RoutingIn) -> dict:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    fields.check_choice("mode", payload.mode, Mode.values)
    routing, _ = DeskRouting.objects.get_or_create(desk=desk)
    routing.mode = payload.mode
    try:
        routing.default_team = fields.resolve_team(desk, payload.default_team)
    except ValidationError:
        raise ValidationError({"default_team": f"desk {desk.slug} has no such team"}) from None
    routing.reassign_after_minutes = payload.reassign_after_minutes
    routing.save()
    routes = []
    for path, team in payload.category_routes.items():
        category = fields.resolve_category(desk, path, field=f"category_routes.{path}")
        try:
            routes.append(
                CategoryRoute(desk=desk, category=category, team=fields.resolve_team(desk, team))
            )
        except ValidationError:
            raise ValidationError({f"category_routes.{path}": f"no team {team!r}"}) from None
    CategoryRoute.objects.filter(desk=desk).delete()
    CategoryRoute.objects.bulk_create(routes)
    return _routing_out(routing)


def _may_set_availability(viewer: User, agent: User) -> bool:
    if viewer.pk == agent.pk or viewer.is_superuser:
        return True
    return any(
        role_on_desk(viewer, desk_id) in (ADMIN, Role.SUPERVISOR) for desk_id in desk_roles(agent)
    )


@router.put("/agents/{user_id}/availability", response={200: AvailabilityOut, **ERRORS})
def put_availability(request: HttpRequest, user_id: Id, payload: AvailabilityIn) -> dict:
    agent = User.objects.filter(pk=user_id, is_active=True).first()
    if agent is None or not desk_roles(agent):
        raise NotFound(f"agent {user_id} not found")
    if not _may_set_availability(request.auth, agent):
        raise Forbidden("agents set their own availability; supervisors their desks' agents'")
    given = payload.model_dump(exclude_unset=True)
    profile = set_availability(
        agent,
        status=given.get("status"),
        working_hours=given.get("working_hours"),
        capacity=given.get("capacity", ""),
        skills=given.get("skills"),
    )
    return {
        "user": agent.pk,
        "status": profile.status,
        "status_since": profile.status_since,
        "working_hours": profile.working_hours,
        "capacity": profile.capacity,
        "skills": profile.skills,
    }


def _vendor(desk_id: int, value: int | str | None) -> Vendor | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = Vendor.objects.filter(desk_id=desk_id, is_active=True)
    vendor = (query.filter(pk=int(text)) if text.isdigit() else query.filter(name=text)).first()
    if vendor is None:
        raise ValidationError({"vendor": f"no vendor {value!r} on this desk"})
    return vendor


@router.post("/tickets/{ticket_id}/escalate", response={200: TicketOut, **ERRORS})
def escalate_ticket(request: HttpRequest, ticket_id: str, payload: EscalateIn) -> dict:
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    escalation.escalate(
        ticket,
        actor=request.auth,
        reason=payload.reason,
        tier=payload.tier,
        vendor=_vendor(ticket.desk_id, payload.vendor),
        reference=payload.reference,
    )
    return _single_ticket(ticket.pk, request.auth)


@router.post("/tickets/{ticket_id}/deescalate", response={200: TicketOut, **ERRORS})
def deescalate_ticket(request: HttpRequest, ticket_id: str, payload: EscalateIn) -> dict:
    if payload.vendor or payload.reference:
        raise ValidationError({"vendor": "de-escalating takes a reason and a tier only"})
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    escalation.deescalate(ticket, actor=request.auth, reason=payload.reason, tier=payload.tier)
    return _single_ticket(ticket.pk, request.auth)


@router.put("/tickets/{ticket_id}/vendor-reference", response={204: None, **ERRORS})
def put_vendor_reference(request: HttpRequest, ticket_id: str, payload: ReferenceIn) -> Reply:
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    escalation.set_vendor_reference(ticket, actor=request.auth, reference=payload.reference)
    return Reply(204, None)


def _vendor_out(vendor: Vendor) -> dict:
    return {
        "id": vendor.pk,
        "desk": vendor.desk.slug,
        "name": vendor.name,
        "contact_email": vendor.contact_email,
        "organization": vendor.organization_id,
    }


@router.get("/vendors", response={200: list[VendorOut], **ERRORS})
def list_vendors(request: HttpRequest, desk: str) -> list[dict]:
    found = desk_for_user(request.auth, desk)
    if role_on_desk(request.auth, found.pk) is None:
        raise Forbidden("only the desk's agents see its vendors")
    return [_vendor_out(v) for v in Vendor.objects.filter(desk=found).select_related("desk")]


@router.post("/vendors", response={201: VendorOut, **ERRORS})
def create_vendor(request: HttpRequest, payload: VendorIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    vendor = vendors.create_vendor(
        desk,
        name=payload.name,
        contact_email=payload.contact_email,
        organization_id=payload.organization,
        actor=request.auth,
    )
    return Reply(201, _vendor_out(vendor))
