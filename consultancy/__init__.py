"""The practice-consultant case system."""
from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    # Flask is imported here, not above: importing a pure part of the package
    # (consultancy.rules, consultancy.enums) must not load the web framework.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)

    from flask_babel import lazy_gettext as _l

    from consultancy import config as settings
    settings.load(app.config, app.instance_path, config)

    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from consultancy import cli
    from consultancy.extensions import bootstrap, csrf, db, login_manager, migrate
    from consultancy.flags import refresh as flag_refresh
    from consultancy.security import audit, identities, permissions
    from consultancy.web import errors, i18n, inputs, timeouts, web_security, weblog

    weblog.init_app(app)  # first, so that its timer runs before any other hook can refuse
    inputs.init_app(app)  # before the routes are added and before the CSRF check reads forms
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    i18n.init_app(app)
    identities.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    audit.init_app(app)
    permissions.init_app(app)
    web_security.init_app(app)
    errors.init_app(app)
    timeouts.init_app(app)
    cli.init_app(app)
    flag_refresh.init_app(app)

    from consultancy import admin, api, applications, auth, engagements, evaluation, flags, main

    for area, options in ((main, {}), (auth, {}), (admin, {"url_prefix": "/admin"}),
                          (applications, {}), (engagements, {}), (flags, {}), (evaluation, {}),
                          (api, {})):
        # Views are imported here, never by importing an area, so that one area's queries or
        # services can be imported anywhere without loading views.
        for module in area.MODULES:
            import_module(f"{area.__name__}.{module}")
        app.register_blueprint(area.bp, **options)
    return app
