"""PostgreSQL: (re)create the ``bulgarian`` configuration once hunspell-bg's files are on the
database server (search/postgres.py), then rebuild the index with it."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from search import postgres


class Command(BaseCommand):
    help = "Set up Bulgarian full-text search on PostgreSQL (hunspell-bg) and rebuild the index."

    def add_arguments(self, parser):
        parser.add_argument("--no-rebuild", action="store_true", help="do not rebuild the index")

    def handle(self, *args, no_rebuild=False, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite: FTS5 needs no setup (its stemming is search.text.stem).")
            return
        if not postgres.configure():
            raise CommandError(
                "hunspell-bg is not installed on the database server: copy bulgarian.affix, bulgarian.dict "
                "and bulgarian.stop into $(pg_config --sharedir)/tsearch_data there (README, Production)."
            )
        self.stdout.write(self.style.SUCCESS("the bulgarian configuration uses hunspell-bg"))
        if not no_rebuild:
            call_command("search_rebuild", verbosity=options["verbosity"])
