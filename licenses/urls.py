"""App HTML routes, included by portal.urls."""

urlpatterns: list = []
