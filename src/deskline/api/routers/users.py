from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Status

from deskline.accounts.models import Organization, User
from deskline.accounts.services import clean_email, record_audit
from deskline.api.changes import patch_changes
from deskline.api.schemas import Error, UserIn, UserOut, UserUpdateIn
from deskline.api.serializers import user_out
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.tickets.access import is_agent_anywhere, may_manage_people

router = Router(tags=["users"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _organization(org_id: Id | None) -> Organization | None:
    if org_id is None:
        return None
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        raise ValidationError({"organization": f"no organization {org_id}"})
    return org


def _opens_shared_tickets(org: Organization | None, email: str) -> bool:
    """Would membership show this new account the organization's shared requests,
    without an admin having vouched for its address through the organization's domains?"""
    if org is None or not org.shared_tickets:
        return False
    domain = email.rpartition("@")[2].lower()
    return domain not in [d.lower() for d in org.domains]


@router.get("/users/me", response={200: UserOut, **ERRORS})
def me(request: HttpRequest) -> dict:
    return user_out(request.auth)


@router.get("/users", response={200: list[UserOut], **ERRORS})
def list_users(
    request: HttpRequest, q: str = "", organization: Id | None = None, limit: int = 50
) -> list[dict]:
    if not is_agent_anywhere(request.auth):
        raise Forbidden("only agents may list users")
    users = User.objects.select_related("organization").order_by("email")
    if q:
        users = users.filter(Q(email__icontains=q) | Q(name__icontains=q))
    if organization:
        users = users.filter(organization_id=organization)
    return [user_out(u) for u in users[: max(1, min(limit, 100))]]


@router.post("/users", response={201: UserOut, **ERRORS})
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    if not may_manage_people(request.auth):
        raise Forbidden("only agents may create users")
    if payload.is_employee and not request.auth.is_superuser:
        # As for a change (update_user): employee status opens the internal desks.
        raise Forbidden("only admins may change organization or employee status")
    email = clean_email(payload.email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": f"a user with {email} exists already"})
    data = payload.model_dump()
    data.pop("email")
    data["organization"] = _organization(data["organization"])
    if not request.auth.is_superuser and _opens_shared_tickets(data["organization"], email):
        raise Forbidden(
            "only admins may add someone outside its domains to an organization that shares tickets"
        )
    user = User(email=email, **data)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    record_audit(request.auth, "user.created", user)
    return Status(201, user_out(user))


def _user_for(request: HttpRequest, user_id: Id) -> User:
    user = User.objects.select_related("organization").filter(pk=user_id).first()
    if user is None or (user.pk != request.auth.pk and not is_agent_anywhere(request.auth)):
        raise NotFound(f"user {user_id} not found")
    return user


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS})
def get_user(request: HttpRequest, user_id: Id) -> dict:
    return user_out(_user_for(request, user_id))


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS})
def update_user(request: HttpRequest, user_id: Id, payload: UserUpdateIn) -> dict:
    user = _user_for(request, user_id)
    changes = patch_changes(payload, User)
    is_self = user.pk == request.auth.pk
    if not request.auth.is_superuser:
        # People edit their own profile; agents edit requesters' contact data only.
        if not is_self and not may_manage_people(request.auth):
            raise Forbidden("light agents may not change people")
        if not is_self and (user.is_superuser or is_agent_anywhere(user)):
            raise Forbidden("only admins may change agents")
        # Organization and employee status decide which tickets and desks a person
        # sees, so changing them is an admin's decision, for others and for oneself.
        if {"organization", "is_employee"} & set(changes):
            raise Forbidden("only admins may change organization or employee status")
    if "organization" in changes:
        changes["organization"] = _organization(changes["organization"])
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    record_audit(request.auth, "user.updated", user, data={"fields": sorted(changes)})
    return user_out(user)
