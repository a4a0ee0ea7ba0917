from django.urls import path

from kokemus.journeys import views

urlpatterns = [
    path("", views.journey_list, name="journey_list"),
    path("new/", views.journey_new, name="journey_new"),
    path("import/", views.journey_import, name="journey_import"),
    path("<int:pk>/", views.journey_map, name="journey_map"),
    path("<int:pk>/edit/", views.journey_edit, name="journey_edit"),
    path("<int:pk>/export/", views.journey_export, name="journey_export"),
    path("<int:pk>/stages/add/", views.stage_add, name="journey_stage_add"),
    path("stages/<int:pk>/edit/", views.stage_edit, name="journey_stage_edit"),
    path("stages/<int:pk>/move/", views.stage_move, name="journey_stage_move"),
    path("stages/<int:pk>/archive/", views.stage_archive, name="journey_stage_archive"),
    path("stages/<int:pk>/restore/", views.stage_restore, name="journey_stage_restore"),
    path("stages/<int:pk>/touchpoints/add/", views.touchpoint_add,
         name="journey_touchpoint_add"),
    path("touchpoints/<int:pk>/", views.touchpoint_card, name="journey_touchpoint_card"),
    path("touchpoints/<int:pk>/edit/", views.touchpoint_edit, name="journey_touchpoint_edit"),
    path("touchpoints/<int:pk>/move/", views.touchpoint_move, name="journey_touchpoint_move"),
    path("touchpoints/<int:pk>/remove/", views.touchpoint_remove,
         name="journey_touchpoint_remove"),
    path("touchpoints/<int:pk>/restore/", views.touchpoint_restore,
         name="journey_touchpoint_restore"),
]
