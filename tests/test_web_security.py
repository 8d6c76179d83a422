import re

from consultancy.models import Role


def test_every_page_sends_the_security_headers(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(admin_client):
    for url in ("/", "/admin/users", "/admin/audit", "/admin/users/new"):
        page = admin_client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page and "<style" not in page, url
        assert not re.search(r"\son[a-z]+=", page), url  # no inline event handlers


def test_bootstrap_is_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'<link rel="stylesheet" href="(/[^"]*bootstrap[^"]*\.css)"', page).group(1)
    response = client.get(css)
    assert response.status_code == 200
    response.close()


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user(Role.TEAM)
    response = client.post("/login", data={"email": user.email,
                                           "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_cookies_are_secure(make_app, make_user):
    user = make_user(Role.TEAM)
    app = make_app(ENV="production")
    response = app.test_client().post(
        "/login", data={"email": user.email, "password": "correct horse battery"},
        base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
