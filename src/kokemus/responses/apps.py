from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsesConfig(AppConfig):
    name = "kokemus.responses"
    label = "responses"
    verbose_name = _("Responses")

    def ready(self):
        from kokemus.journeys.usage import register_usage_check

        def touchpoints_with_responses(ids):
            from kokemus.responses.models import Response

            return set(Response.objects.filter(touchpoint_id__in=ids)
                       .values_list("touchpoint_id", flat=True))

        register_usage_check(touchpoints_with_responses)
