"""Production static files: ``kokemus serve`` runs collectstatic with WhiteNoise's manifest
storage (compressed, hashed names) when DEBUG is off."""

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_the_production_storage(tmp_path: Path) -> None:
    # The manifest storage rewrites every url(...) and sourceMappingURL reference to a
    # hashed name and fails when the file referred to is missing (a vendored minified
    # script that still names its .map file made `kokemus serve` fail at start-up).
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text(encoding="utf-8")
    assert "kokemus/kokemus.css" in manifest
    assert "vendor/vega/vega-embed.min.js" in manifest
    # Compressed copies for WhiteNoise to serve.
    assert list(tmp_path.rglob("vega.min.*.js.gz"))
