"""Mounted at /o/<org_slug>/dashboards/."""

from django.urls import path

from kokemus.analytics import views

urlpatterns = [
    path("", views.overview, name="analytics_overview"),
    path("heatmap/", views.heatmap, name="analytics_heatmap"),
    path("comparison/", views.comparison, name="analytics_comparison"),
    path("drivers/", views.drivers_view, name="analytics_drivers"),
    path("comments/", views.comments, name="analytics_comments"),
    path("screen/<int:unit_pk>/", views.screen, name="analytics_screen"),
]
