"""Site-root pages of onboarding: /signup/ and the living style guide /styleguide/."""

from django.urls import path

from kokemus.onboarding import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("styleguide/", views.styleguide, name="styleguide"),
]
