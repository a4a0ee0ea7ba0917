from django.urls import path

from kokemus.kiosk import views

urlpatterns = [
    path("", views.kiosk_list, name="kiosk_list"),
    path("new/", views.kiosk_new, name="kiosk_new"),
    path("<int:pk>/revoke/", views.kiosk_revoke, name="kiosk_revoke"),
    path("posters/<int:pk>.pdf", views.poster_pdf, name="kiosk_poster"),
]
