from django.urls import path

from kokemus.improvement import views

urlpatterns = [
    path("", views.improvement_home, name="improvement_home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/settings/", views.followup_settings, name="followup_settings"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("kudos/", views.kudos_team, name="kudos_team"),
    path("kudos/<int:unit_pk>/", views.kudos_wall, name="kudos_wall"),
    path("my-praise/", views.my_praise, name="my_praise"),
    path("ideas/", views.idea_list, name="idea_list"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea_detail"),
    path("ideas/<int:pk>/vote/", views.idea_vote, name="idea_vote"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("meeting/<int:unit_pk>/", views.meeting, name="meeting"),
]
