"""Service promise, goals with quality checks, progress forecasts and perception-gap rounds."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    name = "kokemus.goals"
    label = "goals"
    verbose_name = _("Goals")

    def ready(self) -> None:
        from kokemus import demo
        from kokemus.goals.demo import delete_demo_goals, demo_goals
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Goals"), "goal_list", min_role="staff", order=15))
        demo.register_step(70, "goals", demo_goals)
        demo.register_reset_hook(delete_demo_goals)
