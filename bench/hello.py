"""A minimal Django project in one file: the hello-world baseline for bench/load.py.

.venv/bin/gunicorn --chdir bench hello:application -w 2 -b 127.0.0.1:8001
.venv/bin/gunicorn bench.hello:application -w 2 -b 127.0.0.1:8001   # from the repo root
"""

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="hello-world-benchmark-only",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={},
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": "world"})


urlpatterns = [path("", hello)]

application = get_wsgi_application()
