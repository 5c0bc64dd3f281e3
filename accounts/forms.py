from axes.helpers import get_cool_off
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import ngettext


def lockout_message(request) -> str:
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    return ngettext(
        "Too many failed login attempts. Try again in %(minutes)d minute.",
        "Too many failed login attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockoutAwareMixin:
    """A login refused by the throttle (django-axes flags the request; accounts/throttle.py)
    says so, instead of "wrong username or password", which would only invite more guesses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field is built, so nothing
        # enforced it; axes records the username it is given (at most 255 characters in the
        # database): a longer one would fail there, an error page instead of a form error.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(lockout_message(self.request), code="locked_out")
        return super().get_invalid_login_error()


class LoginForm(LockoutAwareMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutAwareMixin, AdminAuthenticationForm):
    pass
