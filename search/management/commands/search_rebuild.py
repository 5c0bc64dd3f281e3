"""Rebuild the search index from scratch (after an import, a bulk change, or installing hunspell-bg)."""

import time

from django.core.management.base import BaseCommand, CommandError

from search import registry
from search.services import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index of every registered kind (or of --kind)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", action="append", help="only this kind (repeatable)")

    def handle(self, *args, kind=None, **options):
        known = {e.key for e in registry.entries()}
        unknown = set(kind or ()) - known
        if unknown:
            raise CommandError(f"unknown kind(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        started = time.perf_counter()

        def progress(key: str, count: int) -> None:
            if options["verbosity"] > 1 and count % 50_000 == 0:
                self.stdout.write(f"  {key}: {count}")

        counts = index_rebuild(kinds=kind, progress=progress)
        for key, count in counts.items():
            self.stdout.write(f"{key}: {count}")
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt in {time.perf_counter() - started:.1f} s"))
