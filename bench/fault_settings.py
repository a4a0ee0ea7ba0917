"""Settings for the fault benches: the product settings plus DatabaseUnavailableMiddleware
(until it is added to kokemus.settings.MIDDLEWARE, after which this changes nothing)."""

from kokemus.settings import *  # noqa: F403
from kokemus.settings import MIDDLEWARE

_MW = "kokemus.privacy.dbfaults.DatabaseUnavailableMiddleware"
if _MW not in MIDDLEWARE:
    MIDDLEWARE = [MIDDLEWARE[0], _MW, *MIDDLEWARE[1:]]
