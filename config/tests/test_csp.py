"""Content-Security-Policy (django-csp), its report endpoint, and the favicon every page links."""

import logging
import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"] + sorted(Path(settings.BASE_DIR).glob("*/templates"))
# What the policy blocks in markup: inline <script> (one without src), on* handlers, style
# attributes, <style> elements and javascript: URLs.
INLINE = [
    ("inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("on* handler", re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)),
    ("style attribute", re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)),
    ("<style>", re.compile(r"<style[\s>]", re.IGNORECASE)),
    ("javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_no_template_has_inline_script_handlers_or_styles():
    found = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            found += [f"{template.relative_to(settings.BASE_DIR)}: {what}" for what, rx in INLINE if rx.search(text)]
    assert TEMPLATE_DIRS and not found, found


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/tasks/", "/admin/", "/no-such-page/"])
def test_every_page_sends_a_strict_policy(client, admin_user, path):
    if path != "/accounts/login/":
        client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code in {200, 404}
    policy = policy_of(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["report-uri"] == "/csp-report/"
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_report_uri_is_served():
    from django.urls import resolve

    from config.views import csp_report

    assert resolve(policy_of_settings()["report-uri"]).func is csp_report


def policy_of_settings() -> dict[str, str]:
    return {name: " ".join(values) for name, values in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()}


@pytest.mark.django_db
def test_a_violation_report_is_logged_without_login_or_csrf_and_cut_short(caplog):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    report = '{"csp-report": {"violated-directive": "script-src-elem", "blocked-uri": "inline"}}\nforged line'
    with caplog.at_level(logging.WARNING, logger="csp.report"):
        response = client.post("/csp-report/", report + "x" * 10_000, content_type="application/csp-report")
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "csp.report"]
    message = record.getMessage()
    assert "script-src-elem" in message
    assert "\nforged line" not in message  # newlines are escaped: a report cannot forge log lines
    assert len(message) < 2200


@pytest.mark.django_db
def test_the_report_endpoint_takes_only_posts(client):
    assert client.get("/csp-report/").status_code == 405


@pytest.mark.django_db
def test_favicon_ico_is_there_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/admin/", "/admin/accounts/user/", "/no-such-page/"])
def test_every_page_links_the_favicon(client, admin_user, path):
    if path != "/accounts/login/":
        client.force_login(admin_user)
    body = client.get(path).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in body


def test_the_500_page_links_the_favicon():
    from django.test import RequestFactory

    from config.views import server_error

    assert 'href="/static/favicon.svg"' in server_error(RequestFactory().get("/")).content.decode()


def _plain(response):
    return response


def _updated(response):
    response._csp_update = {"img-src": ["https://example.org"]}
    return response


def _replaced(response):
    response._csp_replace = {"script-src": ["'self'", "https://cdn.example.org"]}
    return response


def _exempt(response):
    response._csp_exempt = True
    return response


def _preset(response):
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _not_found(response):
    response.status_code = 404
    return response


REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": ["/csp-report/"]}}


@pytest.mark.parametrize("response_kind", [_plain, _updated, _replaced, _exempt, _preset, _not_found])
@pytest.mark.parametrize("overrides", [{}, {"CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY}, {"DEBUG": True}])
@pytest.mark.parametrize("nonce", [False, True])
def test_the_policy_headers_are_django_csps(settings, response_kind, overrides, nonce):
    """config.middleware.CSPMiddleware (the header built once) sends what django-csp's middleware
    sends, for each kind of response, settings and a nonce asked for or not; and a nonce asked for
    after the header was written is an error, as with django-csp."""
    from csp.exceptions import CSPNonceError
    from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    from config.middleware import CSPMiddleware

    for name, value in overrides.items():
        setattr(settings, name, value)
    sent = []
    for middleware_class in (DjangoCSPMiddleware, CSPMiddleware, CSPMiddleware):  # ours twice: built, then kept
        request = RequestFactory().get("/tasks/")
        middleware = middleware_class(lambda request: response_kind(HttpResponse("ok")))
        middleware.process_request(request)
        if nonce:
            str(request.csp_nonce)
        response = middleware.process_response(request, middleware.get_response(request))
        headers = {k: v for k, v in response.items() if k.startswith("Content-Security-Policy")}
        sent.append({k: re.sub(r"'nonce-[^']+'", "'nonce'", v) for k, v in headers.items()})
        if not nonce and not (settings.DEBUG and response.status_code == 404):
            with pytest.raises(CSPNonceError):
                str(request.csp_nonce)
    assert sent[0] == sent[1] == sent[2]
    if response_kind in (_plain, _updated) and not settings.DEBUG:
        assert "Content-Security-Policy" in sent[0]


def test_a_changed_policy_setting_is_sent_at_once(settings):
    from config.middleware import CSPMiddleware

    middleware = CSPMiddleware(lambda request: None)
    before = middleware._headers()[0]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert middleware._headers()[0] == "default-src 'none'" != before
