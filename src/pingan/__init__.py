"""Pingan (平安): grid-based community safety governance and city incident command."""

__version__ = "0.1.0"
