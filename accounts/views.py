from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import selectors, services
from accounts.forms import LoginForm
from config.http import HtmxHttpRequest

TOO_MANY_REQUESTS = 429


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="locked_out"):
            response.status_code = TOO_MANY_REQUESTS
        return response

    def form_valid(self, form):
        """A user who chose a language before gets it in a new browser too (the cookie the
        language switch would have set)."""
        response = super().form_valid(form)
        language = form.get_user().language
        if language and not self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


@login_not_required  # the switch works on the login page too
@require_POST
def language_switch(request: HtmxHttpRequest) -> HttpResponse:
    """Django's set_language (cookie, redirect back), and a signed-in user keeps the choice:
    notifications pushed or e-mailed to them are rendered in it (notifications.languages)."""
    response = set_language(request)
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


def user_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    employee = selectors.employee_get(pk=pk)
    return render(request, "accounts/user_detail.html", {"employee": employee})


def department_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get(pk=pk)
    members = selectors.employee_list(department=department)
    return render(request, "accounts/department_detail.html", {"department": department, "members": members})
