"""Offline kiosk devices: a unit's tablet that queues answers while offline."""
