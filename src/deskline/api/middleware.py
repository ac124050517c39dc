"""The API speaks English whatever the client's Accept-Language or cookie say.

Its messages are a contract: clients match on them and services raise them as lazy,
translatable texts for the pages (core/errors.py). LocaleMiddleware has already picked
the browser's language for the request by the time this runs, so it is put back."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

Handler = Callable[[HttpRequest], HttpResponse]
API_PREFIX = "/api/"
API_LANGUAGE = "en"


class EnglishApiMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            translation.activate(API_LANGUAGE)
            request.LANGUAGE_CODE = API_LANGUAGE
        return self.get_response(request)
