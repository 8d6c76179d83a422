from consultancy import create_app


def test_health_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app({"SECRET_KEY": "x", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"},
                     instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    with client.session_transaction() as session:  # a signed-in browser asks as well
        session["_user_id"] = "1:1"
    assert client.get("/healthz").status_code == 503
