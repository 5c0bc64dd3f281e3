"""The promote dialog (GET/POST /counterparties/promote/): roles, ЕИК, VAT number, e-mail and
phone, checked as the services check them; the free-text contact people become contact people.
POST ``name`` alone (the button without JavaScript) keeps working: crm/tests/test_views.py."""

import html as html_lib
import re

import pytest

from crm import services
from crm.models import Communication, ContactPerson, Counterparty
from crm.tests.factories import CommunicationFactory, ContactPersonFactory, CounterpartyFactory, ThreadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def dialog_post(**fields) -> dict:
    return {"name": "Гама Метал ООД", "dialog": "1", "next": "", **fields}


@pytest.fixture
def gama(user):
    thread = ThreadFactory(counterparty=None, counterparty_name="Гама Метал ООД", author=user)
    rows = [
        CommunicationFactory(
            thread=thread, counterparty=None, counterparty_name=name, contact_name=contact, author=user
        )
        for name, contact in [
            ("Гама Метал ООД", "Петя Костова"),
            ("ГАМА МЕТАЛ ООД", "ПЕТЯ КОСТОВА"),
            ("гама метал оод", "Илия Денев"),
            ("Гама Метал ООД", ""),
        ]
    ]
    return thread, rows


def test_the_dialog_opens_with_the_name_and_the_contacts_that_will_be_created(client_ivan, gama):
    thread, _rows = gama
    for headers, marker in ((HTMX, 'class="modal fade" id="promote-dialog"'), ({}, "<html")):
        response = client_ivan.get(
            "/counterparties/promote/", {"name": "Гама Метал ООД", "next": f"/threads/{thread.pk}/"}, **headers
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert marker in html
        for field in ("company_id", "vat_number", "email", "phone"):
            assert f'name="{field}"' in html
        assert html.count('name="roles"') == 3
        contacts = re.search(r'id="promote-contacts".*?</ul>', html, re.S).group(0)
        assert re.findall(r"<li>(.*?)</li>", contacts) == ["Петя Костова", "Илия Денев"]
        if not headers:  # the page (no JavaScript) has a cancel link back; the dialog a close button
            assert f'<a class="btn btn-outline-secondary" href="/threads/{thread.pk}/">' in html


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"company_id": "175074751"}, {"company_id"}),
        ({"company_id": "12345"}, {"company_id"}),
        ({"vat_number": "BG175074751"}, {"vat_number"}),
        ({"vat_number": "GB123456789"}, {"vat_number"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"company_id": "175074751", "vat_number": "DE1"}, {"company_id", "vat_number"}),
        ({"roles": ["boss"]}, {"roles"}),
    ],
)
@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "page"])
def test_invalid_details_are_shown_on_their_fields_and_nothing_is_promoted(client_ivan, gama, fields, errors, headers):
    response = client_ivan.post("/counterparties/promote/", dialog_post(**fields), **headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert set(re.findall(r'data-error-for="(\w+)"', html)) == errors
    assert 'id="promote-form"' in html
    if "company_id" in fields:
        assert f'value="{fields["company_id"]}"' in html  # the input is kept
    assert not Counterparty.objects.exists()
    assert Communication.objects.filter(counterparty__isnull=True).count() == 4


def test_valid_details_create_the_counterparty_with_them_and_its_contact_people(client_ivan, gama, user):
    thread, rows = gama
    response = client_ivan.post(
        "/counterparties/promote/",
        dialog_post(
            roles=["supplier", "client"],
            company_id="175 074 752",
            vat_number="bg175074752",
            email="office@gama.bg",
            phone="+359 2 123 4567",
            next=f"/threads/{thread.pk}/",
        ),
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/threads/{thread.pk}/"
    gama_ = Counterparty.objects.get()
    assert (gama_.name, gama_.roles, gama_.company_id, gama_.vat_number, gama_.email, gama_.phone) == (
        "Гама Метал ООД",
        ["client", "supplier"],
        "175074752",
        "BG175074752",
        "office@gama.bg",
        "+359 2 123 4567",
    )
    contacts = {c.name: c for c in ContactPerson.objects.filter(counterparty=gama_)}
    assert sorted(contacts) == ["Илия Денев", "Петя Костова"]  # one per name ignoring case, first spelling
    for row in rows:
        row.refresh_from_db()
        assert row.counterparty_id == gama_.pk
    assert [(r.contact_id, r.contact_name) for r in rows] == [
        (contacts["Петя Костова"].pk, ""),
        (contacts["Петя Костова"].pk, ""),
        (contacts["Илия Денев"].pk, ""),
        (None, ""),
    ]


def test_without_htmx_the_dialog_page_redirects_to_next(client_ivan, gama):
    thread, _rows = gama
    response = client_ivan.post(
        "/counterparties/promote/", dialog_post(company_id="175074752", next=f"/threads/{thread.pk}/")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/threads/{thread.pk}/"


@pytest.mark.parametrize("next_url", ["javascript:alert(1)", "https://evil.example/", "//evil.example/"])
def test_the_cancel_link_never_leaves_the_site(client_ivan, next_url):
    html = client_ivan.get("/counterparties/promote/", {"name": "Гама", "next": next_url}).content.decode()
    assert not re.findall(r'<a [^>]*href="(?:javascript|https?:|//)[^"]*"[^>]*>[^<]*Отказ', html)
    assert 'class="btn btn-outline-secondary" href=' not in html


def test_the_name_is_escaped_in_the_dialog(client_ivan):
    xss = "<script>alert(1)</script>"
    html = client_ivan.get("/counterparties/promote/", {"name": xss}, **HTMX).content.decode()
    assert xss not in html
    assert html_lib.escape(xss) in html


def test_promote_links_contacts_to_an_existing_contact_person_of_that_name(user):
    alfa = CounterpartyFactory(name="Алфа ООД")
    existing = ContactPersonFactory(counterparty=alfa, name="Петя Костова")
    row = CommunicationFactory(
        counterparty=None, counterparty_name="АЛФА ООД", contact_name="петя костова", author=user
    )

    services.counterparty_promote(name="алфа оод", actor=user)

    row.refresh_from_db()
    assert (row.counterparty_id, row.contact_id, row.contact_name) == (alfa.pk, existing.pk, "")
    assert ContactPerson.objects.count() == 1


def test_plain_promote_creates_the_contact_person_too(client_ivan, gama):
    response = client_ivan.post("/counterparties/promote/", {"name": "Гама Метал ООД"})
    assert response.status_code == 302
    assert sorted(ContactPerson.objects.values_list("name", flat=True)) == ["Илия Денев", "Петя Костова"]


@pytest.mark.parametrize("name", ["", "a\x00b", "я" * 1000, "%00"])
@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "page"])
def test_the_dialog_opens_for_any_name_without_a_500(client_ivan, name, headers):
    response = client_ivan.get("/counterparties/promote/", {"name": name}, **headers)
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["", "   ", "a\x00b", "я" * 300])
def test_a_dialog_post_with_a_bad_name_shows_the_error_in_the_dialog(client_ivan, name):
    response = client_ivan.post("/counterparties/promote/", dialog_post(name=name), **HTMX)
    assert response.status_code == 200
    assert 'data-error-for="name"' in response.content.decode()
    assert not Counterparty.objects.exists()
