from django.urls import path

from kokemus.imports import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/map/", views.import_map, name="import_map"),
    path("<int:pk>/run/", views.import_run, name="import_run"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/errors/", views.import_errors, name="import_errors"),
    path("<int:pk>/errors.csv", views.import_errors_csv, name="import_errors_csv"),
    path("<int:pk>/delete/", views.import_delete, name="import_delete"),
]
