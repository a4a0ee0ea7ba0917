from django.urls import path

from kokemus.comments import views

urlpatterns = [
    path("", views.theme_list, name="theme_list"),
]
