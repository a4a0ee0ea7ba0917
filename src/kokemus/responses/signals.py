"""``response_submitted(sender=Response, response=…)`` is sent after the response commits.

Rollups, text analytics and follow-up cases connect here instead of being called from the
ingestion path.
"""

from django.dispatch import Signal

response_submitted = Signal()
