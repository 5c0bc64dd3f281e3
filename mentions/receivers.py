"""A deleted object neither mentions nor is mentioned any more: no dangling generic rows.

One ``post_delete`` receiver per registered model (not one for every model: a receiver on a model
stops Django's fast deletes of it). It follows the registry through its ``registered`` and
``unregistered`` signals, so the registry never imports this module (nor, through it, services):
``MentionsConfig.ready`` calls ``connect()``, which also covers the apps registered before it.
"""

from django.db.models.signals import post_delete

from mentions import registry
from mentions.services import mention_forget


def forget_deleted(sender, instance, **kwargs) -> None:
    mention_forget(obj=instance)


def _uid(entry: registry.Mentionable) -> str:
    return f"mentions.forget.{entry.key}"


def _on_registered(sender, entry: registry.Mentionable, **kwargs) -> None:
    post_delete.connect(forget_deleted, sender=entry.model, dispatch_uid=_uid(entry))


def _on_unregistered(sender, entry: registry.Mentionable, **kwargs) -> None:
    post_delete.disconnect(sender=entry.model, dispatch_uid=_uid(entry))


def connect() -> None:
    registry.registered.connect(_on_registered, dispatch_uid="mentions.receivers.registered")
    registry.unregistered.connect(_on_unregistered, dispatch_uid="mentions.receivers.unregistered")
    for entry in registry.entries():
        _on_registered(sender=registry.Mentionable, entry=entry)
