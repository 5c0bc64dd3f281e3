from django.urls import path

from mentions import views

app_name = "mentions"

urlpatterns = [
    path("autocomplete/", views.autocomplete, name="autocomplete"),
]
