"""Response headers a public authority's web application is expected to send."""
from __future__ import annotations

from flask import current_app, request

from consultancy.security.permissions import is_static_file

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not is_static_file(request.endpoint):
        # Pages and API answers hold case data: no copy in the browser's cache (where the
        # back button or the next user of a shared computer would find it) nor a proxy's.
        # Public pages too: a refused application form shows what the applicant typed.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app) -> None:
    app.after_request(_add_headers)
