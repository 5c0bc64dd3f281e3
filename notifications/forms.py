import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import kinds
from notifications.models import DEFAULT_CHANNEL, Channel
from notifications.preferences import preferences_for, preferences_set

# Every half hour of the day, as the clock in Sofia shows it.
DIGEST_TIMES = [datetime.time(hour, minute) for hour in range(24) for minute in (0, 30)]


class PreferencesForm(forms.Form):
    """A channel per registered kind and the digest's time of day."""

    digest_time = forms.TypedChoiceField(
        label=_("Daily digest at"),
        choices=[(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in DIGEST_TIMES],
        coerce=lambda value: datetime.datetime.strptime(value, "%H:%M").time(),
        help_text=_("Europe/Sofia time"),
    )

    def __init__(self, *, user, data=None, **kwargs) -> None:
        channels, digest_time = preferences_for(user=user)
        initial = {"digest_time": digest_time.strftime("%H:%M")}
        super().__init__(data=data, initial=initial, **kwargs)
        self.user = user
        self.kinds = sorted(kinds.registered(), key=lambda kind: str(kind.label))
        for kind in self.kinds:
            self.fields[f"kind_{kind.key}"] = forms.ChoiceField(
                label=kind.label, choices=Channel.choices, initial=channels.get(kind.key, DEFAULT_CHANNEL)
            )

    def kind_rows(self):
        return [(kind, self[f"kind_{kind.key}"]) for kind in self.kinds]

    def save(self) -> None:
        preferences_set(
            user=self.user,
            channels={kind.key: self.cleaned_data[f"kind_{kind.key}"] for kind in self.kinds},
            digest_time=self.cleaned_data["digest_time"],
        )
