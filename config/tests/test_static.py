"""Static files under the production storage (the manifest), which the other tests never use.

`config/settings_test.py` swaps in the plain StaticFilesStorage, so a vendored file referencing
a missing `.map` or font would only show in production: `collectstatic` stops with
MissingFileError and, without a manifest, every `{% static %}` raises — every page 500s, the 500
page too. Here `collectstatic` runs with the storage `config/settings.py` picks when DEBUG is off.
"""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import RequestFactory, override_settings

import config.settings as production_settings
from config.views import server_error


def production_storages() -> dict:
    # config.settings was imported with DEBUG=0 (config/settings_test.py sets it before importing):
    # its STORAGES are the production ones, before settings_test replaced them.
    storages = production_settings.STORAGES
    backend = storages["staticfiles"]["BACKEND"]
    assert "Manifest" in backend, f"config.settings was loaded with DEBUG on ({backend}): run the tests with DEBUG=0"
    return storages


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """`collectstatic` once into a fresh STATIC_ROOT with the production storage; the settings
    stay active for the module's tests (manifest lookups, no finders: as in production)."""
    root = tmp_path_factory.mktemp("static_root")
    with override_settings(STATIC_ROOT=root, STORAGES=production_storages(), WHITENOISE_USE_FINDERS=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def manifest_paths(root) -> dict:
    return json.loads((root / "staticfiles.json").read_text())["paths"]


def test_collectstatic_succeeds_with_the_production_storage(collected):
    paths = manifest_paths(collected)
    for name in [
        "css/app.css",
        "js/app.js",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "admin/css/base.css",
    ]:
        assert name in paths, f"{name} is not in the manifest"
        assert (collected / paths[name]).is_file()


def test_every_reference_in_a_vendored_file_is_shipped_and_hashed(collected):
    """The icon font and the source maps are rewritten to their hashed names, which exist."""
    paths = manifest_paths(collected)
    icons_css = (collected / paths["vendor/bootstrap-icons/bootstrap-icons.min.css"]).read_text()
    fonts = re.findall(r'url\("(fonts/[^"?]+)', icons_css)
    assert fonts, "bootstrap-icons.min.css references no font"
    for font in fonts:
        assert (collected / "vendor/bootstrap-icons" / font).is_file(), font
        assert font.replace("fonts/", "vendor/bootstrap-icons/fonts/") in paths.values()
    for name in [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
    ]:
        body = (collected / paths[name]).read_text()
        (map_name,) = re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", body)
        folder = name.rsplit("/", 1)[0]
        assert f"{folder}/{map_name}" in paths.values(), f"{name} points to {map_name}, which is not collected"


def test_the_favicon_is_collected(collected):
    assert "favicon.svg" in manifest_paths(collected)
    assert finders.find("favicon.svg")


def test_the_500_page_renders_under_the_manifest_storage(collected):
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    hashed_css = manifest_paths(collected)["vendor/bootstrap/bootstrap.min.css"]
    assert f'href="/static/{hashed_css}"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/threads/", "thread", "/communications/", "/tasks/", "/admin/", "/accounts/login/"]
)
def test_pages_render_with_hashed_static_urls(collected, client, admin_user, path):
    from crm.tests.factories import CommunicationFactory

    if path == "thread":
        path = f"/threads/{CommunicationFactory(author=admin_user).thread.pk}/"
    if path != "/accounts/login/":
        client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    hashed = re.findall(r'(?:href|src)="/static/([^"]+)"', body)
    assert hashed, f"{path} links no static file"
    served = set(manifest_paths(collected).values())
    assert set(hashed) <= served, f"{path} links files outside the manifest: {set(hashed) - served}"


def _static_and_asset(names: list[str]) -> tuple[str, str]:
    from django.template import engines

    engine = engines["django"]
    static = engine.from_string("{% load static %}" + "".join(f"{{% static '{n}' %}}|" for n in names))
    asset = engine.from_string("{% load layout %}" + "".join(f"{{% asset '{n}' %}}|" for n in names))
    return static.render({}), asset.render({})


BASE_FILES = re.findall(r"\{% asset '([^']+)' %\}", (production_settings.BASE_DIR / "templates/base.html").read_text())


def test_base_html_links_its_files_through_the_cached_lookup():
    assert len(BASE_FILES) == 16
    assert "{% static" not in (production_settings.BASE_DIR / "templates/base.html").read_text()


@pytest.mark.parametrize("storage", ["manifest", "plain", "plain, another STATIC_URL"])
def test_the_cached_lookup_gives_the_static_tags_urls(collected, storage):
    """crm.templatetags.layout.asset: what ``{% static %}`` gives, under each storage, and again
    after the static settings change (each storage keeps its own URLs)."""
    plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    overrides = {
        "manifest": {},
        "plain": {"STORAGES": plain},
        "plain, another STATIC_URL": {"STORAGES": plain, "STATIC_URL": "/elsewhere/"},
    }[storage]
    names = [*BASE_FILES, "a file & more.css"] if storage != "manifest" else BASE_FILES
    _static_and_asset(BASE_FILES)  # the manifest's URLs cached before any override
    with override_settings(**overrides):
        static, asset = _static_and_asset(names)
        assert asset == static and _static_and_asset(names)[1] == static
    if storage == "manifest":
        assert "/static/css/app." in static and "/static/css/app.css" not in static  # hashed names
    elif "another" in storage:
        assert static.startswith("/elsewhere/")
    else:
        assert "/static/a%20file%20%26%20more.css|" in static  # quoted as a URL, as the tag does
