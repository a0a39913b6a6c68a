"""Screens: unlock and chat live here; timeline, profile, inspector and search are optional."""
