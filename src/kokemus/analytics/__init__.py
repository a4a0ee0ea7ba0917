"""Rollups (daily answer counts) and the dashboards that read them."""
