"""Database backends of kokemus (``DATABASES[...]["ENGINE"]``)."""
