"""The project's URLs plus a page per note: ``@pytest.mark.urls("testsupport.urls")``."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from testsupport import views

urlpatterns = [
    path("testsupport/notes/<int:pk>/", views.note_detail, name="testsupport_note"),
    *project_urlpatterns,
]
