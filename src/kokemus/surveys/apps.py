from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kokemus.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from kokemus.demo import register_reset_hook, register_step
        from kokemus.surveys.demo import build_demo_surveys, reset_demo_surveys
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Surveys"), "survey_list", min_role="staff", order=30))
        register_step(30, "surveys", build_demo_surveys)
        register_reset_hook(reset_demo_surveys)
