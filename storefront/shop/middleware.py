"""Language choice and backend failures, for every view."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from api.client import BackendError, BackendUnavailable

logger = logging.getLogger(__name__)
Handler = Callable[[HttpRequest], HttpResponse]


def language_middleware(get_response: Handler) -> Handler:
    """Chinese unless the visitor chose English (set_language's cookie). Unlike Django's
    LocaleMiddleware, the browser's Accept-Language is not consulted."""
    supported = {code for code, _ in settings.LANGUAGES}

    def middleware(request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response

    return middleware


def backend_errors_middleware(get_response: Handler) -> Handler:
    """The backend down or answering nonsense: a page a person understands (503 / 502),
    whatever DEBUG says, instead of a stack trace."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_exception(request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, BackendError):
            return None
        from shop.views.errors import backend_problem

        unavailable = isinstance(exc, BackendUnavailable)
        if unavailable:
            logger.warning("backend unavailable: %s", exc)
        else:
            logger.error("backend answered unexpectedly: %s", exc)
        return backend_problem(request, unavailable=unavailable)

    middleware.process_exception = process_exception  # type: ignore[attr-defined]
    return middleware
