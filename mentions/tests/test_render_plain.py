"""render_plain: mentions as their names for readers outside the app (crm's e-mail, a quote)."""

import pytest

from mentions.rendering import render_plain
from testsupport.models import Note

pytestmark = pytest.mark.django_db


def test_tokens_become_trigger_and_current_label():
    note = Note.objects.create(title="Старо име")
    Note.objects.filter(pk=note.pk).update(title="Ново име")
    text = f"Виж #[Старо име](note:{note.pk}), <b>без</b> HTML."
    # Plain text, as written around the mention: not escaped here (the caller escapes for HTML).
    assert render_plain(text) == "Виж #Ново име, <b>без</b> HTML."


def test_a_gone_object_keeps_its_stored_label():
    assert render_plain("питай #[Бележка 7](note:999999)") == "питай #Бележка 7"


def test_empty_and_plain_text():
    assert render_plain("") == ""
    assert render_plain("ред 1\nivan@example.bg https://x.bg/a") == "ред 1\nivan@example.bg https://x.bg/a"
