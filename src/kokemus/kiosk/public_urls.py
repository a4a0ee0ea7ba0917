"""Public kiosk URLs at the site root: /kiosk/<token>/ and its service worker and sync."""

from django.urls import path

from kokemus.kiosk import public_views

urlpatterns = [
    path("kiosk/<str:token>/", public_views.kiosk_page, name="kiosk_page"),
    path("kiosk/<str:token>/sw.js", public_views.service_worker, name="kiosk_sw"),
    path("kiosk/<str:token>/sync", public_views.sync, name="kiosk_sync"),
]
