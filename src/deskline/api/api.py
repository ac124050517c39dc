from ninja import NinjaAPI

from deskline import __version__
from deskline.api import errors
from deskline.api.auth import BearerToken, Session
from deskline.api.parser import JSONParser
from deskline.api.renderer import UTF8JSONRenderer
from deskline.api.routers import (
    attachments,
    automation,
    desks,
    kb,
    mail,
    messages,
    notifications,
    organizations,
    routing,
    search,
    sla,
    teams,
    tickets,
    triage,
    users,
)

api = NinjaAPI(
    title="Deskline API",
    version="1",
    description="Tickets, messages, desks and people. Authenticate with "
    "'Authorization: Bearer <token>' (create one with `deskline token create`).",
    auth=[BearerToken(), Session()],
    renderer=UTF8JSONRenderer(),
    parser=JSONParser(),
    urls_namespace="api-1",
)
errors.install(api)
for module in (tickets, messages, attachments, desks, teams, users, organizations):
    api.add_router("", module.router)
for module in (search, kb):
    api.add_router("", module.router)
for module in (automation, notifications):
    api.add_router("", module.router)
for module in (routing, sla):
    api.add_router("", module.router)
api.add_router("", mail.router)
api.add_router("", triage.router)

__all__ = ["api", "__version__"]
