"""App API routes, included under /api/v1/ by portal.api_urls."""

urlpatterns: list = []
