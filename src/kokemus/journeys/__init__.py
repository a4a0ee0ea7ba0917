"""Customer journeys: ordered stages and touchpoints, from the sign outside to the exit door."""
