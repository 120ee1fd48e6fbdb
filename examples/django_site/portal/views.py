"""Views: registration, activation and a handbook decision, as JSON.

Each view translates the request into one or two service calls; a
:class:`~symprogram.errors.SymprogramError` becomes a JSON error with its code.
Which candidate a request is for is the project's business (Django's auth, a
session, ...): this example reads it from the ``X-Candidate-Id`` header.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.models import Signup
from portal.program import get_program
from symprogram.accounts import AcceptancePath
from symprogram.entitlements import Reader
from symprogram.errors import NotFound, PermissionDenied, SymprogramError

_FIELDS = (
    "email",
    "password",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
)


def _plain_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """``CSRF_FAILURE_VIEW``: a POST without the CSRF cookie and token is a 403 JSON error."""
    return _plain_error(403, "csrf_failed", "reload the page and send the form again")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """``handler400``: a request Django refuses (a bad form, a bad host) as JSON."""
    return _plain_error(400, "bad_request", "the request was not understood")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """``handler404``: an unknown address as JSON."""
    return _plain_error(404, "page_not_found", "there is no such page")


def server_error(request: HttpRequest) -> JsonResponse:
    """``handler500``: an unexpected error as JSON, never its traceback."""
    return _plain_error(500, "server_error", "something went wrong on our side")


def _error(error: SymprogramError) -> JsonResponse:
    status = (
        404 if isinstance(error, NotFound) else 403 if isinstance(error, PermissionDenied) else 400
    )
    body = {"code": error.code, "message": str(error), "field": getattr(error, "field", None)}
    return JsonResponse({"error": body}, status=status)


@require_POST
def register(request: HttpRequest) -> JsonResponse:
    """Accept the Terms of Use and register; the activation e-mail goes out by Django mail."""
    if request.POST.get("agree") != "yes":
        return _error(
            PermissionDenied("agree to the Terms of Use", field="agree", code="terms_not_accepted")
        )
    accounts = get_program().accounts
    try:
        version = accounts.terms.current(get_program().now()).version
        receipt = accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT, terms_version=version)
        assert receipt.token is not None
        form = {name: request.POST.get(name, "") for name in _FIELDS}
        registration = accounts.register(terms_receipt=receipt.token, **form)
    except SymprogramError as error:
        return _error(error)
    Signup.objects.create(email=registration.email, reference=registration.reference)
    return JsonResponse({"reference": registration.reference}, status=201)


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """GET (the e-mail's link): a page whose button confirms; POST: activate the account.

    The link itself changes nothing, so that mail scanners opening it do not use it up.
    """
    if request.method == "GET":
        page = (
            '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<input type="hidden" name="token" value="{token}">'
            "<button>Activate my account</button></form>"
        ).format(csrf=escape(get_token(request)), token=escape(request.GET.get("token", "")))
        return HttpResponse(page)
    try:
        candidate = get_program().accounts.activate(request.POST.get("token", ""))
    except SymprogramError as error:
        return _error(error)
    Signup.objects.filter(email=candidate.contact.email).update(candidate_id=candidate.candidate_id)
    return JsonResponse({"candidate_id": candidate.candidate_id})


@require_GET
def handbook(request: HttpRequest, document: str) -> JsonResponse:
    """May the reader open ``document``, and in which language (``Accept-Language``)?"""
    candidate_id = request.headers.get("X-Candidate-Id")
    try:
        reader = Reader(candidate_id, logged_in=True) if candidate_id else None
        decision = get_program().entitlements.decide(
            reader, document, languages=request.headers.get("Accept-Language")
        )
    except SymprogramError as error:
        return _error(error)
    answer = {
        "allowed": decision.allowed,
        "reasons": list(decision.codes),
        "language": decision.detail("language"),
    }
    return JsonResponse(answer, status=200 if decision.allowed else 403)
