from django.urls import path

from kokemus.goals import views

urlpatterns = [
    path("", views.goal_list, name="goal_list"),
    path("new/", views.goal_new, name="goal_new"),
    path("check/", views.goal_check, name="goal_check"),
    path("<int:pk>/", views.goal_detail, name="goal_detail"),
    path("<int:pk>/archive/", views.goal_archive, name="goal_archive"),
    path("promise/", views.promise, name="goals_promise"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
]
