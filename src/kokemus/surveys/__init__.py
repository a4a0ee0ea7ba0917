"""Surveys (versioned), question types with standard fi/sv/en wording, collection points,
QR posters, the public response page and the offline kiosk."""
