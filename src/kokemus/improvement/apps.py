from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "kokemus.improvement"
    label = "improvement"
    verbose_name = _("Improvement")

    def ready(self):
        from django.db.models.signals import post_save

        from kokemus import demo
        from kokemus.comments.models import CommentAnalysis
        from kokemus.improvement import receivers
        from kokemus.improvement.demo import delete_demo_improvement, demo_improvement
        from kokemus.responses.signals import response_submitted
        from kokemus.web.nav import NavItem, register

        response_submitted.connect(receivers.on_response_submitted,
                                   dispatch_uid="improvement.open_case")
        post_save.connect(receivers.on_comment_analysed, sender=CommentAnalysis,
                          dispatch_uid="improvement.comment_analysed")
        register(NavItem(_("Improvement"), "improvement_home", min_role="staff", order=40))
        demo.register_step(80, "improvement", demo_improvement)
        demo.register_reset_hook(delete_demo_improvement)
