from django.urls import path

from kokemus.surveys import views

urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("new/", views.survey_new, name="survey_new"),
    path("<int:pk>/", views.survey_detail, name="survey_detail"),
    path("<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("<int:pk>/questions/add/", views.question_add, name="survey_question_add"),
    path("<int:pk>/questions/<slug:key>/", views.question_update,
         name="survey_question_update"),
    path("<int:pk>/questions/<slug:key>/move/", views.question_move,
         name="survey_question_move"),
    path("<int:pk>/questions/<slug:key>/remove/", views.question_remove,
         name="survey_question_remove"),
    path("<int:pk>/publish/", views.survey_publish, name="survey_publish"),
    path("<int:pk>/close/", views.survey_close, name="survey_close"),
    path("<int:pk>/points/", views.point_create, name="survey_point_create"),
    path("points/<int:pk>/active/", views.point_toggle, name="survey_point_toggle"),
]
