"""Request bodies of at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes, refused as JSON.

Django refuses a larger body itself (``RequestDataTooBig``), but where the CSRF
check reads the form first the answer is a bare HTML 400. :class:`BodyLimit`
reads the body before any other middleware: a ``Content-Length`` over the limit
is refused before a byte is read, a body that passes the limit while it is read
is refused there, and both answer 413 ``body_too_large`` in the site's JSON error
shape.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

__all__ = ["BodyLimit"]


class BodyLimit:
    """Middleware: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 JSON error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                request.body  # noqa: B018 - read (and keep) it now, within the limit
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                error = {
                    "code": "body_too_large",
                    "message": f"the request body is larger than {limit} bytes",
                    "field": "body",
                }
                return JsonResponse({"error": error}, status=413)
        return self.get_response(request)
