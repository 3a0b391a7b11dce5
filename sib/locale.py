"""The language of an answer: the portal's default is French, the API's English.

A page is read by people of a French programme; an API answer by programs and their
developers, for whom English is the common default. Either follows `Accept-Language`
when the client sends it (and the portal also the language chosen in its menu).
"""

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

API_DEFAULT_LANGUAGE = "en"


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/") and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            translation.activate(API_DEFAULT_LANGUAGE)
            request.LANGUAGE_CODE = API_DEFAULT_LANGUAGE
            return
        super().process_request(request)
