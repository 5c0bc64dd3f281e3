"""The values the modules of ``mentions`` hand each other. A leaf: it imports nothing of mentions,
so parsing, the registry, selectors, rendering and services can all use it without a circle."""

from __future__ import annotations

from dataclasses import dataclass, field

# A mentioned object by registry key and id: ("user", 12), ("order", 45).
Ref = tuple[str, int]


@dataclass(frozen=True)
class Description:
    """How a mentionable object presents itself (``registry.register(describe=...)``).

    ``label``: its current name, shown by chips and stored in new tokens; ``hint``: a second
    line for the autocomplete, the chip's tooltip and "mentioned in" (a username, a subject);
    ``url``: where a chip and "mentioned in" link to (empty: not a link)."""

    label: str
    hint: str = ""
    url: str = ""


@dataclass(frozen=True)
class Target:
    """A mentioned object, ready to draw: no further queries."""

    key: str
    pk: int
    trigger: str
    label: str
    url: str
    hint: str
    chip_class: str
    obj: object = field(repr=False, compare=False)

    @property
    def ref(self) -> Ref:
        return (self.key, self.pk)


@dataclass(frozen=True)
class Resolution:
    """What some texts mention, looked up: the objects that exist, and the plain handles that
    name one of them."""

    targets: dict[Ref, Target] = field(default_factory=dict)
    handles: dict[str, Ref] = field(default_factory=dict)  # folded handle → ref

    def target(self, ref: Ref) -> Target | None:
        return self.targets.get(ref)

    def handle(self, name: str) -> Target | None:
        ref = self.handles.get(name.lower())
        return self.targets.get(ref) if ref else None

    def refs(self) -> set[Ref]:
        """Every existing object mentioned, by token or by handle."""
        return set(self.targets)


class MentionText(str):
    """A description that carries the resolution of its mentions (see
    ``mentions.selectors.mention_prefetch``): rendering it needs no query. Otherwise a str."""

    mention_resolution: Resolution

    def __new__(cls, value: str, resolution: Resolution):
        text = super().__new__(cls, value)
        text.mention_resolution = resolution
        return text


@dataclass(frozen=True)
class MentionDiff:
    """What ``mentions.services.mention_sync`` changed: the objects the text mentions now and did
    not before (``added``), those it no longer mentions (``removed``), and what was stored before
    the sync (``previous``). The caller decides whom to tell from it; mention_sync tells no one."""

    added: frozenset[Ref] = frozenset()
    removed: frozenset[Ref] = frozenset()
    previous: frozenset[Ref] = frozenset()

    @property
    def current(self) -> frozenset[Ref]:
        return (self.previous - self.removed) | self.added

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)
