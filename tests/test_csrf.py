import re

from consultancy.models import Role
from tests.conftest import PASSWORD


def token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_post_without_a_valid_token_is_refused(make_app, make_user):
    user = make_user(Role.ADMIN)
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Formularen var udløbet" in response.get_data(as_text=True)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 400

    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token(page)})
    assert response.status_code == 302


def test_every_form_on_a_page_carries_a_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client(user=make_user(Role.ADMIN))
    for url in ("/", "/admin/users/new", "/account/password"):
        page = client.get(url).get_data(as_text=True)
        post_forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
        assert post_forms, url
        for form in post_forms:
            assert 'name="csrf_token"' in form, url
