"""Public pages at the site root: /r/<code>/ (response page), thank-you page, QR codes."""

from django.urls import path

from kokemus.surveys import public_views

urlpatterns = [
    path("r/<str:code>/", public_views.respond, name="respond"),
    path("r/<str:code>/thanks/", public_views.respond_thanks, name="respond_thanks"),
    path("r/<str:code>/qr.svg", public_views.respond_qr_svg, name="respond_qr_svg"),
    path("r/<str:code>/qr.png", public_views.respond_qr_png, name="respond_qr_png"),
]
