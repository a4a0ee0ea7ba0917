from django.urls import path

from kokemus.invitations import views

urlpatterns = [
    path("", views.invitation_home, name="invitation_home"),
    path("visits/", views.visit_upload, name="invitation_visit_upload"),
    path("settings/", views.invitation_settings, name="invitation_settings"),
]
