"""The map of places: its model, reading and writing it."""
