"""Widgets used by the chat screen."""
