"""PostgreSQL's side of search: the ``bulgarian`` text search configuration and the SQL objects
migration 0001 adds (generated weighted vector, a GIN index on (kind, vector), trigram indexes).

The configuration is ``simple`` with hunspell-bg (Debian's ``hunspell-bg``; its ``.aff``/``.dic``
copied into ``$(pg_config --sharedir)/tsearch_data`` as ``bulgarian.affix``/``bulgarian.dict``,
with ``bulgarian.stop`` from search/sql/) in front for words: "фактурите" → "фактура", and
``simple`` for whatever hunspell does not know (names, Latin, numbers). Those files live on the
database server: ``make search-dictionary`` installs them on this machine (CI, development);
README "Production" says what to do on a database server of its own.

Without the files ``configure`` still creates ``bulgarian`` (as ``simple``: exact words, no
morphology), says so in a warning, and returns False; run ``manage.py search_setup`` once they
are there (it switches the configuration and rebuilds the index).
"""

from __future__ import annotations

import logging

from django.db import connection as default_connection
from django.db import transaction
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

CONFIGURATION = "bulgarian"
DICTIONARY = "bulgarian_hunspell"

VECTOR_SQL = (
    "setweight(to_tsvector('bulgarian'::regconfig, identifiers || ' ' || title), 'A') || "
    "setweight(to_tsvector('bulgarian'::regconfig, names), 'B') || "
    "setweight(to_tsvector('bulgarian'::regconfig, body), 'C')"
)

OBJECTS_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # btree_gin: the kind in the same GIN index as the vector. Every search is per kind, and a
    # frequent word's entries are then intersected with the kind's inside the index instead of
    # being fetched for every kind and filtered (~200 ms → ~10–50 ms at bench scale).
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED",
    "CREATE INDEX IF NOT EXISTS search_document_vector ON search_searchdocument USING gin (kind, vector)",
    "CREATE INDEX IF NOT EXISTS search_document_identifiers_trgm ON search_searchdocument "
    "USING gin (identifiers gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_word_trgm ON search_searchword USING gin (word gin_trgm_ops)",
]


def _dictionary_exists(cursor, dictionary: str = DICTIONARY) -> bool:
    cursor.execute("SELECT 1 FROM pg_ts_dict WHERE dictname = %s", [dictionary])
    return cursor.fetchone() is not None


def configure(
    connection=None, *, configuration: str = CONFIGURATION, dictionary: str = DICTIONARY, files: str = "bulgarian"
) -> bool:
    """Create (or complete) the ``bulgarian`` configuration. True when hunspell-bg is in it.
    (The names are parameters only so a test can show what happens without the files.)"""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [configuration])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {configuration} (COPY = simple)")
        if not _dictionary_exists(cursor, dictionary):
            # With the stop words if their file is there, else without; each try in a savepoint
            # (a missing file is an error that would end the migration's transaction).
            for options in ("StopWords = bulgarian, ", ""):
                try:
                    with transaction.atomic(using=connection.alias):
                        cursor.execute(
                            f"CREATE TEXT SEARCH DICTIONARY {dictionary} "
                            f"(TEMPLATE = ispell, {options.replace('bulgarian', files)}"
                            f"DictFile = {files}, AffFile = {files})"
                        )
                    break
                except DatabaseError as error:
                    reason = str(error).strip().splitlines()[0]
            else:
                logger.warning(
                    "search: hunspell-bg is not installed on the database server (%s); Bulgarian "
                    "search works without morphology until it is (`make search-dictionary`, then "
                    "`manage.py search_setup`).",
                    reason,
                )
                return False
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {configuration} "
            f"ALTER MAPPING FOR word, hword, hword_part WITH {dictionary}, simple"
        )
    return True


def has_morphology(connection=None) -> bool:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        return _dictionary_exists(cursor)


def create_objects(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for statement in OBJECTS_SQL:
            cursor.execute(statement)
