app_name = "mentions"

urlpatterns: list = []
