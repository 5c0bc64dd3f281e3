"""The query string of /search/: q, kind, date_from, date_to, after. Parsing only."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from search import registry

# More than any query we search (search.text.MAX_QUERY_LENGTH says so in a message) but bounded.
Q_MAX_LENGTH = 10_000


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=Q_MAX_LENGTH, strip=True)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    after = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *((e.key, e.verbose_name) for e in registry.entries())]
        for name in ("q", "date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "form-control"
        self.fields["kind"].widget.attrs["class"] = "form-select"
        widget = registry.date_widget()
        for name in ("date_from", "date_to"):
            if widget is not None:
                self.fields[name].widget = widget(attrs={"class": "form-control"})
            else:
                self.fields[name].widget.input_type = "date"

    def value(self, name: str):
        """A valid field's value; None for an invalid or missing one (its message is on the form)."""
        if not self.is_bound or name in self.errors:
            return None
        return self.cleaned_data.get(name) or None

    def search_kwargs(self) -> dict:
        self.is_valid()
        date_from, date_to = self.value("date_from"), self.value("date_to")
        zone = timezone.get_current_timezone()
        return {
            "text": self.data.get("q", "") if "q" in self.errors else self.value("q"),
            "kinds": [self.value("kind")] if self.value("kind") else None,
            "after": self.value("after"),
            "date_from": datetime.combine(date_from, time(), zone) if date_from else None,
            # The whole last day counts: up to midnight after it.
            "date_to": datetime.combine(date_to + timedelta(days=1), time(), zone) if date_to else None,
        }
