"""The authentication backend (settings.AUTHENTICATION_BACKENDS): Django's ModelBackend, with the
read every signed-in request makes — the session's user by id (AuthenticationMiddleware →
django.contrib.auth.get_user → ``get_user``) — compiled once (config.compiled).

Django builds and compiles ``User.objects.get(pk=…)`` for each request: ~0.45 ms of CPU on every
page, against ~0.1 ms for the compiled statement (docs/benchmarks-lists.md "Branch request").
The meaning is Django's: the user is read from the database on every request, so a password
change (the session's auth hash no longer matches), a deactivation (``user_can_authenticate``)
or a deleted user signs the session out at its next request; nothing about the user is cached
between requests.

Sessions name the backend that signed them in: those made with Django's ModelBackend before this
one replaced it are no longer valid (their users sign in once again).
"""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from config.compiled import CompiledQuery

# No ORDER BY (the model orders employees by name): Django's get() drops it too.
_USER = CompiledQuery(lambda user_id: User._default_manager.filter(pk=user_id).order_by())


class EmployeeBackend(ModelBackend):
    def get_user(self, user_id):
        if type(user_id) is not int:  # the compiled statement takes integers only
            return super().get_user(user_id)
        rows = _USER.run(user_id)
        if not rows:
            return None
        user = rows[0]
        return user if self.user_can_authenticate(user) else None
