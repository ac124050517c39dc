from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from deskline.accounts.services import get_or_create_requester
from deskline.api.routers.desks import desk_for_user
from deskline.api.schemas import Error, TeamIn, TeamMemberIn, TeamOut
from deskline.api.serializers import user_ref
from deskline.core.errors import NotFound
from deskline.core.ids import Id
from deskline.desks import services
from deskline.desks.models import Team, TeamMembership
from deskline.tickets.access import agent_desk_ids
from deskline.tickets.services import fields

router = Router(tags=["teams"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "desk": team.desk.slug,
        "slug": team.slug,
        "name": team.name,
        "tier": team.tier,
        "members": [user_ref(u) for u in team.members.all()],
    }


@router.get("/teams", response={200: list[TeamOut], **ERRORS})
def list_teams(request: HttpRequest, desk: str | None = None) -> list[dict]:
    teams = Team.objects.select_related("desk").prefetch_related("members")
    if not request.auth.is_superuser:
        teams = teams.filter(desk_id__in=agent_desk_ids(request.auth))
    if desk:
        teams = teams.filter(desk=desk_for_user(request.auth, desk))
    return [_team_out(t) for t in teams]


@router.post("/teams", response={201: TeamOut, **ERRORS})
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    if Team.objects.filter(desk=desk, slug=payload.slug).exists():
        # The unique (desk, slug) constraint alone would report the field as "__all__".
        raise ValidationError({"slug": f"desk {desk.slug} has a team {payload.slug!r} already"})
    team = services.create_team(
        desk,
        name=payload.name,
        slug=payload.slug,
        tier=fields.clean_tier(payload.tier),
        actor=request.auth,
    )
    return Status(201, _team_out(team))


def _team_for_manager(request: HttpRequest, team_id: Id) -> Team:
    team = Team.objects.select_related("desk").filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"team {team_id} not found")
    desk_for_user(request.auth, team.desk_id, manage=True)
    return team


@router.post("/teams/{team_id}/members", response={201: TeamOut, **ERRORS})
def add_team_member(request: HttpRequest, team_id: Id, payload: TeamMemberIn) -> Status:
    team = _team_for_manager(request, team_id)
    user = fields.resolve_agent(team.desk, get_or_create_requester(payload.email).pk, field="email")
    TeamMembership.objects.get_or_create(team=team, user=user)
    return Status(201, _team_out(team))


@router.delete("/teams/{team_id}/members/{user_id}", response={204: None, **ERRORS})
def remove_team_member(request: HttpRequest, team_id: Id, user_id: Id) -> Status:
    team = _team_for_manager(request, team_id)
    TeamMembership.objects.filter(team=team, user_id=user_id).delete()
    return Status(204, None)
