"""Walk the application's forms as a browser would, for tests that post to every form.

`crawl` signs in as one user (or none), follows the links of every page from the front
page on and reads every <form> with Python's own HTML parser: its action, method and
fields, each with the value the page gives it (the CSRF token included). Nothing is
listed by hand, so a new form is walked as soon as a page links to it; `post_routes`
lists what the URL map says can be posted, for checking that the walk reached it all.

    pages = crawl(app, client)
    for form in forms_to_post(pages):
        response = submit(client, form, {"name": "x" * 500})
        if is_refusal(response):
            shown = shown_again(response, form)
"""
from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

# Inputs a person types text into (what the browser sends is what was typed).
TEXT_INPUTS = {"text", "email", "search", "tel", "url"}
# Buttons: a named one sends its value (the first of a name, as if it were pressed).
BUTTONS = {"submit", "button", "reset", "image"}


@dataclass
class FormField:
    name: str
    kind: str  # the input's type, "select", "select-multiple", "textarea" or "submit"
    values: list[str] = field(default_factory=list)  # what the page posts as it is
    options: list[str] = field(default_factory=list)  # of a select, radio or checkbox
    required: bool = False
    inputmode: str = ""

    @property
    def typed(self) -> bool:
        """Typed by a person (not a choice, a date, a hidden value or a number input)."""
        return self.kind in TEXT_INPUTS or self.kind == "textarea"

    @property
    def free_text(self) -> bool:
        """Typed text that is stored as text (a decimal typed as text is a number)."""
        return self.typed and self.inputmode not in ("decimal", "numeric")

    def plausible(self, today) -> list:
        """Values a careful user could send, the likeliest first: so that a test of one
        field reaches the services with the others valid."""
        if self.kind in ("hidden", "submit", "file"):
            return [self.values[0] if self.values else ""]
        options = [option for option in self.options if option != ""]
        if self.kind in ("select-multiple", "checkbox"):
            return [options[:1], [], options[:3]]
        if options:
            return options
        return {
            "email": ["mette@example.dk"],
            "date": [today.isoformat(), "2026-01-15", "2026-12-01"],
            "number": ["2", "1", "10", "25"],
            "password": ["correct horse battery staple 42"],
            "textarea": ["Vi så på legen i garderoben.", ""],
        }.get(self.kind, ["4" if self.inputmode in ("decimal", "numeric") else "Mette Madsen",
                          "ab12", "12 34 56 78", ""])


@dataclass
class Form:
    page: str  # the URL it was found on
    action: str  # the URL it is sent to (path and query)
    method: str
    enctype: str
    fields: dict[str, FormField] = field(default_factory=dict)
    endpoint: str | None = None

    @property
    def multipart(self) -> bool:
        return self.enctype == "multipart/form-data"

    def typed_fields(self) -> list[FormField]:
        return [f for f in self.fields.values() if f.typed]

    def data(self, values: dict | None = None, missing: Iterable[str] = ()) -> MultiDict:
        """What the browser sends: every field as the page gives it, `values` replacing
        some (a list for several values), the fields named in `missing` left out."""
        values = values or {}
        data = MultiDict()
        buttons = [name for name, f in self.fields.items() if f.kind == "submit"]
        # One button is pressed: one given a value, else the one named submit, else the first.
        pressed = next((name for name in buttons if name in values),
                       "submit" if "submit" in buttons else buttons[0] if buttons else None)
        for name, form_field in self.fields.items():
            if name in missing or (form_field.kind == "submit" and name != pressed):
                continue
            chosen = values.get(name, form_field.values)
            if not isinstance(chosen, list):
                chosen = [chosen]
            for value in chosen:
                if form_field.kind == "file" and not isinstance(value, tuple):
                    value = (io.BytesIO(value.encode() if isinstance(value, str) else value),
                             "" if value == "" else "upload.csv")
                elif form_field.kind == "file":
                    value = (io.BytesIO(value[0]), value[1])
                data.add(name, value)
        return data


class _PageParser(HTMLParser):
    """Every form of a page with its fields, the links, and the fields marked invalid."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.invalid: set[str] = set()
        self._form: dict | None = None
        self._select: FormField | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def _add(self, form_field: FormField) -> FormField:
        if self._form is None:
            return form_field
        fields = self._form["fields"]
        existing = fields.get(form_field.name)
        if existing is None:
            fields[form_field.name] = form_field
            return form_field
        # Radio buttons and checkboxes share a name; a hidden field may repeat one; of
        # buttons with one name, one is pressed.
        existing.options += form_field.options
        if form_field.kind != "submit":
            existing.values += form_field.values
        return existing

    def handle_starttag(self, tag, attrs):
        attributes = {name: (value if value is not None else "") for name, value in attrs}
        css = attributes.get("class", "").split()
        if attributes.get("name") and ("is-invalid" in css
                                       or attributes.get("aria-invalid") == "true"):
            self.invalid.add(attributes["name"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            self._form = {"action": attributes.get("action"),
                          "method": attributes.get("method", "get").lower(),
                          "enctype": attributes.get("enctype",
                                                    "application/x-www-form-urlencoded"),
                          "fields": {}}
            self.forms.append(self._form)
        elif tag == "input" and attributes.get("name") and "disabled" not in attributes:
            kind = attributes.get("type", "text").lower()
            name, value = attributes["name"], attributes.get("value", "")
            if kind in BUTTONS:
                if kind != "reset":
                    self._add(FormField(name, "submit", [value], [value]))
            elif kind in ("checkbox", "radio"):
                value = attributes.get("value", "on")
                self._add(FormField(name, kind, [value] if "checked" in attributes else [],
                                    [value]))
            elif kind == "file":
                self._add(FormField(name, kind, [""]))
            else:
                self._add(FormField(name, kind, [value], required="required" in attributes,
                                    inputmode=attributes.get("inputmode", "")))
        elif tag == "button" and attributes.get("name") \
                and attributes.get("type", "submit") == "submit":
            value = attributes.get("value", "")
            self._add(FormField(attributes["name"], "submit", [value], [value]))
        elif tag == "select" and attributes.get("name") and "disabled" not in attributes:
            kind = "select-multiple" if "multiple" in attributes else "select"
            self._select = self._add(FormField(attributes["name"], kind,
                                               required="required" in attributes))
            self._select.first = None
        elif tag == "option" and self._select is not None:
            self._option = {"value": attributes.get("value"), "text": "",
                            "selected": "selected" in attributes}
        elif tag == "textarea" and attributes.get("name") and "disabled" not in attributes:
            self._textarea = {"name": attributes["name"], "text": [],
                              "required": "required" in attributes}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option()
            select = self._select
            if not select.values and select.kind == "select" and select.first is not None:
                select.values = [select.first]  # a browser sends the first option
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea["text"])
            # The HTML parsing rules drop one line break right after <textarea>.
            text = re.sub(r"^\r?\n", "", text)
            self._add(FormField(self._textarea["name"], "textarea", [text],
                                required=self._textarea["required"]))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        option, select = self._option, self._select
        value = option["value"] if option["value"] is not None else option["text"].strip()
        select.options.append(value)
        if select.first is None:
            select.first = value
        if option["selected"]:
            select.values.append(value)
        self._option = None


@dataclass
class Page:
    url: str
    endpoint: str
    forms: list[Form]
    links: list[str]
    invalid: set[str]
    text: str  # the body with entities resolved


def parse_page(app, url: str, body: str) -> Page:
    parser = _PageParser()
    parser.feed(body)
    parser.close()
    forms = []
    for raw in parser.forms:
        action = _local(urljoin(url, raw["action"]) if raw["action"] else url)
        form = Form(url, action, raw["method"], raw["enctype"], raw["fields"])
        form.endpoint = endpoint_of(app, form.action, "POST" if form.method == "post"
                                    else "GET")
        forms.append(form)
    return Page(url, endpoint_of(app, url), forms, parser.links, parser.invalid,
                html.unescape(body))


def _local(url: str) -> str:
    """The path and query of a URL of this app ("http://localhost/x?y" becomes "/x?y")."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint_of(app, url: str, method: str = "GET") -> str | None:
    parts = urlsplit(url)
    adapter = app.url_map.bind(app.config.get("SERVER_NAME") or "localhost")
    try:
        endpoint, _args = adapter.match(parts.path, method=method)
    except HTTPException:
        return None
    return endpoint


def crawl(app, client, start: Iterable[str] = ("/",), per_endpoint: int = 2,
          skip_endpoints: Iterable[str] = ("static", "bootstrap.static")) -> list[Page]:
    """Every HTML page reachable by links from `start`, at most `per_endpoint` of each
    endpoint (two cases, two applications …), in the order found."""
    skip = set(skip_endpoints)
    queue, seen, pages = list(start), set(), []
    taken: Counter = Counter()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        endpoint = endpoint_of(app, url)
        if endpoint is None or endpoint in skip or taken[endpoint] >= per_endpoint:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()  # a streamed download holds its request context until closed
            continue
        taken[endpoint] += 1
        page = parse_page(app, url, response.get_data(as_text=True))
        pages.append(page)
        for link in page.links:
            target = urljoin(url, link.split("#", 1)[0])
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https", "") or \
                    parts.netloc not in ("", "localhost"):
                continue
            local = _local(target)
            if local and local not in seen:
                queue.append(local)
    return pages


def forms_to_post(pages: Iterable[Page], method: str = "post") -> list[Form]:
    """One form per endpoint it posts to and set of fields (a flag's page has two forms
    posting to one address), the first found, in the order found."""
    chosen: dict[tuple, Form] = {}
    for page in pages:
        for form in page.forms:
            key = (form.endpoint, frozenset(form.fields))
            if form.method == method and form.endpoint and key not in chosen:
                chosen[key] = form
    return list(chosen.values())


def post_routes(app) -> set[str]:
    """The endpoints that take a POST, as the URL map says."""
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def int_routes(app) -> list:
    """The rules with an integer in their path."""
    return [rule for rule in app.url_map.iter_rules()
            if any(type(converter).__name__.lower().startswith(("integer", "boundedint"))
                   or getattr(converter, "regex", "") == r"\d+"
                   for converter in rule._converters.values())]


def submit(client, form: Form, values: dict | None = None, missing: Iterable[str] = ()):
    """Send the form as a browser would, with some values replaced or left out."""
    data = form.data(values, missing)
    if form.method == "get":
        return client.get(form.action.split("?", 1)[0], query_string=data)
    return client.post(form.action, data=data,
                       content_type="multipart/form-data" if form.multipart else None)


REFUSED_STATUSES = {400, 409, 422}


ERROR_PAGE = 'id="error-code"'  # templates/errors/error.html


def is_refusal(response) -> bool:
    """A form sent back: a 4xx answer, or a 200 with fields or the form marked wrong (not
    an error page: a request no browser sends, such as a form without its button)."""
    if response.mimetype != "text/html":
        return False
    body = response.get_data(as_text=True)
    if ERROR_PAGE in body:
        return False
    if response.status_code in REFUSED_STATUSES:
        return True
    return response.status_code == 200 and (
        'aria-invalid="true"' in body or 'is-invalid' in body
        or 'class="alert alert-danger"' in body)


def same_form(page: Page, form: Form) -> Form | None:
    """The form of `page` that posts where `form` posts (with the same fields, if several
    do)."""
    candidates = [candidate for candidate in page.forms
                  if candidate.method == form.method and candidate.endpoint == form.endpoint]
    return next((candidate for candidate in candidates
                 if set(candidate.fields) == set(form.fields)),
                candidates[0] if candidates else None)


def shown_again(app, response, form: Form, sent: dict[str, str]) -> dict[str, tuple]:
    """The typed fields whose value the re-rendered form does not show as it was sent:
    {name: (sent, shown)}. Line ends are compared as a browser sends them."""
    page = parse_page(app, form.action, response.get_data(as_text=True))
    again = same_form(page, form)
    if again is None:
        return {"<form>": (form.action, "not shown again")}
    lost = {}
    for name, value in sent.items():
        shown_field = again.fields.get(name)
        original = form.fields.get(name)
        if original is None or not original.typed or not isinstance(value, str):
            continue
        shown = shown_field.values[0] if shown_field and shown_field.values else None
        if _browser_form(value) != _browser_form(shown or ""):
            lost[name] = (value, shown)
    return lost


def _browser_form(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_values(db):
    """(table.column, value) for every text value stored."""
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
        for row in db.session.execute(sa.select(*columns)) if columns else ():
            for column, value in zip(columns, row):
                if isinstance(value, str):
                    yield f"{table.name}.{column.name}", value


def table_counts(db) -> dict[str, int]:
    """The number of rows of every table."""
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


# --- a small world with something behind every form ----------------------------------------

def populate(app, today) -> dict:
    """A case with a team, a session, a contact, a spare unit, a response (midway: the
    missing baseline raises a flag); an application awaiting a score and one ready for a
    decision in an open round; a draft version of the default instrument. Returns
    {role: user} (detached), with None for anonymous visitors.

    Built through the services, as of `today` (freeze the clock around the walk).
    """
    from datetime import timedelta

    from werkzeug.security import generate_password_hash

    from consultancy.admin import instruments
    from consultancy.applications import services as applications
    from consultancy.applications.queries import current_criteria_set
    from consultancy.engagements import services as engagements
    from consultancy.evaluation import services as evaluation
    from consultancy.extensions import db
    from consultancy.flags.services import run_pass
    from consultancy.models import (
        Application,
        Channel,
        DaycareUnit,
        Engagement,
        EngagementStatus,
        EngagementType,
        Instrument,
        Occasion,
        Ownership,
        RespondentRole,
        Role,
        Round,
        UnitKind,
        User,
    )
    from consultancy.services.clock import utcnow
    from tests.conftest import application_data, build_case

    with app.test_request_context():
        users = {}
        for role in (Role.ADMIN, Role.TEAM, Role.CONSULTANT, Role.EVALUATOR):
            user = User(email=f"walk-{role.value}@example.dk", name=f"Walk {role.value}",
                        role=role, active=True, language="da")
            user.set_password("unused")
            # A cheap hash: nobody signs in with it (the clients carry the session).
            user.password_hash = generate_password_hash("unused", "pbkdf2:sha256:1")
            db.session.add(user)
            users[role] = user
        second_team = User(email="walk-team2@example.dk", name="Walk team 2", role=Role.TEAM,
                           active=True, language="da",
                           password_hash=generate_password_hash("unused", "pbkdf2:sha256:1"))
        db.session.add(second_team)
        db.session.commit()
        for user in users.values():
            db.session.refresh(user)
            db.session.expunge(user)
        ids = {role: user.id for role, user in users.items()}
        team_ids = [ids[Role.TEAM], second_team.id]

    case_id = build_case(app, start=-40, status=EngagementStatus.ACTIVE,
                         consultants=[users[Role.CONSULTANT]], joined_on=-40,
                         sessions=[(-7, 2), (7, 2)])
    with app.test_request_context():
        engagement = db.session.get(Engagement, case_id)
        db.session.add(DaycareUnit(name="Reservehuset", municipality_code=773,
                                   ownership=Ownership.MUNICIPAL, kind=UnitKind.NURSERY,
                                   children=20))
        engagements.add_contact(engagement, "Mette Madsen", "Leder", "mette@example.dk",
                                "12345678", None)
        version = evaluation.default_version()
        evaluation.record_response(
            engagement, engagement.units[0].unit_id, version, Occasion.MIDWAY,
            RespondentRole.PEDAGOGUE, today - timedelta(days=30),
            {item.code: 3 for item in version.items}, db.session.get(User, ids[Role.CONSULTANT]),
            today=today)
        instruments.new_version(db.session.scalar(
            sa.select(Instrument).where(Instrument.is_default)))

        one_year = db.session.scalar(sa.select(EngagementType).where(
            EngagementType.code == "one_year"))
        round_ = Round(name="Runde efterår", engagement_type=one_year,
                       opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=20),
                       capacity=2, planned_start=today + timedelta(days=60),
                       criteria_set=current_criteria_set())
        db.session.add(round_)
        db.session.flush()
        now = utcnow()
        team = [db.session.get(User, user_id) for user_id in team_ids]
        awaiting = applications.submit(application_data(engagement_type_id=one_year.id),
                                       Channel.WEB, now, today)
        applications.assign_reviewer(awaiting, team[0], now)
        scored = applications.submit(application_data(engagement_type_id=one_year.id,
                                                      contact_email="anne@example.dk"),
                                     Channel.WEB, now, today)
        for reviewer in team:
            review = applications.assign_reviewer(scored, reviewer, now)
            applications.submit_scores(review, {c.id: (2, "Godt begrundet.")
                                                for c in scored.criteria_set.criteria}, now)
        assert isinstance(awaiting, Application)
        db.session.commit()
        run_pass(today)
        db.session.commit()
    return {None: None, **users}


def client_for(app, user):
    return app.test_client(user=user) if user is not None else app.test_client()


START_PAGES = {None: ("/apply", "/login")}


def walk(app, users: dict, per_endpoint: int = 2) -> list[tuple]:
    """(role, client, form) for one form per endpoint each role can post to."""
    found = []
    for role, user in users.items():
        client = client_for(app, user)
        pages = crawl(app, client, START_PAGES.get(role, ("/",)), per_endpoint=per_endpoint)
        found += [(role, client, form) for form in forms_to_post(pages)]
    return found
