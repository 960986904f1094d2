"""Widgets of the console (each one concept, CSS in ``DEFAULT_CSS``)."""
