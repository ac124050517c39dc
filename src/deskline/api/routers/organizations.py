from django.http import HttpRequest
from ninja import Router, Status

from deskline.accounts.models import Organization
from deskline.accounts.services import record_audit
from deskline.api.changes import patch_changes
from deskline.api.schemas import Error, OrganizationIn, OrganizationOut, OrganizationUpdateIn
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.tickets.access import is_agent_anywhere, may_manage_people

router = Router(tags=["organizations"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _out(org: Organization, *, agent: bool = True) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "domains": org.domains,
        "shared_tickets": org.shared_tickets,
        # The agents' notes on a customer ("VIP, churn risk") are not for its members.
        "notes": org.notes if agent else "",
        "created_at": org.created_at,
    }


@router.get("/organizations", response={200: list[OrganizationOut], **ERRORS})
def list_organizations(request: HttpRequest) -> list[dict]:
    if is_agent_anywhere(request.auth):
        return [_out(o) for o in Organization.objects.all()]
    own = request.auth.organization
    return [_out(own, agent=False)] if own else []


@router.post("/organizations", response={201: OrganizationOut, **ERRORS})
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status:
    if not may_manage_people(request.auth):
        raise Forbidden("only agents may create organizations")
    org = Organization(**payload.model_dump())
    org.full_clean()  # checks and normalizes the domains (Organization.clean)
    org.save()
    record_audit(request.auth, "organization.created", org)
    return Status(201, _out(org))


def _visible(request: HttpRequest, org_id: Id) -> Organization:
    org = Organization.objects.filter(pk=org_id).first()
    if org is None or (
        not is_agent_anywhere(request.auth) and request.auth.organization_id != org.pk
    ):
        raise NotFound(f"organization {org_id} not found")
    return org


@router.get("/organizations/{org_id}", response={200: OrganizationOut, **ERRORS})
def get_organization(request: HttpRequest, org_id: Id) -> dict:
    return _out(_visible(request, org_id), agent=is_agent_anywhere(request.auth))


@router.patch("/organizations/{org_id}", response={200: OrganizationOut, **ERRORS})
def update_organization(request: HttpRequest, org_id: Id, payload: OrganizationUpdateIn) -> dict:
    org = _visible(request, org_id)
    if not may_manage_people(request.auth):
        # Sharing and domains decide which requests members see: not for light agents.
        raise Forbidden("only agents may change organizations")
    changes = patch_changes(payload, Organization)
    if {"domains", "shared_tickets"} & set(changes) and not request.auth.is_superuser:
        # Organizations span every desk: an agent of one desk adding a domain it controls
        # to a sharing organization would read its members' requests on all the others.
        raise Forbidden("only admins may change an organization's domains or ticket sharing")
    for name, value in changes.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()
    record_audit(request.auth, "organization.updated", org, data={"fields": sorted(changes)})
    return _out(org)
