"""/api/: the REST API (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs."""

from django.urls import include, path, re_path
from ninja import NinjaAPI

from kokemus.api import errors
from kokemus.api.docs import KokemusSwagger
from kokemus.api.v1 import router as v1_router

DESCRIPTION = """Authenticate with an organisation API token:
`Authorization: Bearer <token>` (tokens are created by administrators under
*API* in the organisation menu). Read tokens may use GET endpoints; write tokens may also
submit responses.

Limits per token: 600 requests a minute and about 100 batch items a second (a full batch of
1,000 is accepted at once); 429 with `Retry-After` beyond that. Request bodies up to 2 MB.

Every error is JSON: `{"code": "...", "message": "...", "details": ...}`."""

api = NinjaAPI(title="kokemus API", version="1.0", description=DESCRIPTION,
               urls_namespace="api", docs=KokemusSwagger(), docs_url="/docs")
errors.install(api)
api.add_router("/v1/", v1_router)


def _guarded(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _guarded(pattern.url_patterns)
        else:
            pattern.callback = errors.json_guard(pattern.callback)
    return patterns


_api_patterns, _app_name, _namespace = api.urls
_guarded(_api_patterns)

urlpatterns = [
    path("", include((_api_patterns, _app_name), namespace=_namespace)),
    re_path(r"^", errors.not_found_view),  # unknown /api/ paths: JSON 404 too
]
