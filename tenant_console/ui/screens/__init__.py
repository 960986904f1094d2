"""Screens of the console. Each composes the scope banner, its body and the footer."""
