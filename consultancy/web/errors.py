"""Error pages in the application's layout, never with a stack trace; for the evaluator
API, JSON errors, all built by `json_error`."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from consultancy.extensions import db
from consultancy.web.inputs import megabytes

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This page cannot be used in that way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Wait a while and try again.")),
    500: (_l("Something went wrong"),
          _l("An error occurred on our side. It has been logged; please try again later.")),
    503: (_l("Try again in a moment"),
          _l("The page could not be prepared just now. Try again in a moment.")),
}


# The API's answers to what its views do not refuse themselves. Its scripts read `error`;
# the messages are in English, as are the token errors.
API_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not take that method."),
    413: ("too_large", "The request is too large."),
    429: ("too_many_requests", "Too many requests. Wait a while and try again."),
    500: ("server_error", "An error occurred on our side. It has been logged; please try "
                          "again later."),
    503: ("timeout", "The request took too long and was stopped. Try again in a moment, or "
                     "ask for less."),
}


def json_error(status: int, error: str, message: str, field: str | None = None):
    """Every error response of the API: `{"error": code, "message": text}`, with `field`
    naming the parameter at fault, if one is. A 401 names the Bearer scheme (RFC 6750)
    and says "invalid_token" when the token sent was refused."""
    body = {"error": error, "message": str(message)}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        challenge = 'Bearer realm="api"'
        if error == "invalid_token":
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    return response


def for_the_api() -> bool:
    """A request under the API's URL prefix, whether or not a route matched it."""
    api = current_app.blueprints.get("api")
    return api is not None and f"{request.path}/".startswith(f"{api.url_prefix}/")


def render_error(code: int, message: str | None = None):
    if for_the_api():
        error, default_message = API_ERRORS.get(code, API_ERRORS[500])
        return json_error(code, error, message or default_message)
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default_message), code


def _http_error(error: HTTPException):
    # A message given with abort(code, message) is ours to show; werkzeug's own are English.
    given = error.description if error.description != type(error).description else None
    return render_error(error.code or 500, given)


def _too_large(_error):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_error(413, _(
        "What you sent is too large and was not received: at most %(size)s MB in all. Go back "
        "and choose a smaller file, or split it into several files.",
        size=megabytes(limit)))


def _csrf_error(_error: CSRFError):
    return render_error(400, _l(
        "The form had expired or was sent from somewhere else. Reload the page and try again."
    ))


def _server_error(error: InternalServerError):
    db.session.rollback()
    return render_error(500)


def init_app(app) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    for code in MESSAGES:
        if code not in (413, 500):
            app.register_error_handler(code, _http_error)
    app.register_error_handler(413, _too_large)
