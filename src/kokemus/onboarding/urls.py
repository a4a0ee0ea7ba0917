"""Mounted at /o/<org_slug>/start/: the onboarding wizard."""

from django.urls import path

from kokemus.onboarding import views

urlpatterns = [
    path("", views.start, name="onboarding_start"),
    path("live/count/", views.live_count, name="onboarding_live_count"),
    path("dismiss/", views.dismiss, name="onboarding_dismiss"),
    path("<slug:step>/", views.step_view, name="onboarding_step"),
]
