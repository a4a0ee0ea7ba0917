"""Cross-cutting web pieces: base layout, navigation, language switch, health checks."""
