"""Public invitation links at the site root."""

from django.urls import path

from kokemus.invitations import public_views

urlpatterns = [
    path("i/<str:token>/", public_views.respond, name="invitation_respond"),
    path("optout/<str:token>/", public_views.optout, name="invitation_optout"),
]
