"""Service promise, goals with quality checks, progress forecasts and perception-gap rounds."""
