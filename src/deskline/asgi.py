"""ASGI entry point. `deskline serve` runs it in its own process for WebSockets under
/ws/ (pages are served faster by gunicorn over WSGI); HTTP works here too, so the
whole site can also run on an ASGI server alone."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from deskline.web.routing import websocket_urlpatterns  # noqa: E402
from deskline.web.socket_auth import session_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            session_auth_stack(URLRouter(websocket_urlpatterns))
        ),
    }
)
