"""REST API (django-ninja): tokens, submissions, listings, metrics, visit events, webhooks."""
