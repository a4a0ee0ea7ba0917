"""Included at the root: path("", include("kokemus.privacy.urls"))."""

from django.urls import path

from kokemus.privacy import views

urlpatterns = [
    path("privacy/", views.privacy_page, name="privacy"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("o/<slug:org_slug>/privacy/", views.privacy_settings, name="privacy_settings"),
    path("o/<slug:org_slug>/privacy/respondent/", views.respondent_request,
         name="privacy_respondent"),
]
