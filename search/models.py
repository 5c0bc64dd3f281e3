"""One row per searchable object: what is searched and what a result line shows.

On PostgreSQL the row also has a generated, weighted ``vector`` (tsvector, configuration
``bulgarian``) with a GIN index on (kind, vector) (btree_gin), and trigram indexes on
``identifiers`` and the word list — added by migration 0001 in SQL (Django has no portable
field for them). On SQLite an FTS5 table ``search_fts`` (rowid = this row's id) holds the
same texts; the backend writes both.
"""

from django.db import models


class SearchDocument(models.Model):
    kind = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    number = models.CharField(max_length=64, blank=True)
    title = models.TextField(blank=True)
    names = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Lowercased tokens: numbers whole and in parts, codes, ЕИК/VAT, e-mails, phone digits.
    identifiers = models.TextField(blank=True)
    counterparty = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=32, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    # The order within a tier of results (newest first): ``date``, or the epoch for what has none.
    sort_date = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="searchdocument_kind_object")]
        indexes = [models.Index(fields=["kind", "-sort_date", "-id"], name="searchdocument_kind_date")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchWord(models.Model):
    """Every distinct word of titles and names (PostgreSQL): where a mistyped word finds the word it
    meant (trigram similarity over this short list, not over every document)."""

    word = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.word
