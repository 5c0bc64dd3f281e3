"""Helpers for the mentions tests: tokens, and notes (testsupport) as texts that mention."""

import factory
from factory.django import DjangoModelFactory

from mentions.selectors import mention_audience, mention_token
from mentions.services import mention_sync
from testsupport.models import Note


def token(obj, label: str | None = None) -> str:
    """The token the autocomplete would insert for ``obj``."""
    return mention_token(obj=obj, label=label)


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    title = factory.Sequence(lambda n: f"Бележка {n}")
    body = ""


def save_note(note: Note, *, body: str, actor=None) -> set[int]:
    """What an app does on saving a text: store it, sync its mentions, pick whom to tell.
    Returns those users' ids (telling them is the app's business, not mentions')."""
    note.body = body
    note.save()
    diff = mention_sync(source=note, text=body, field="body")
    return mention_audience(diff=diff, actor_id=getattr(actor, "pk", None))
