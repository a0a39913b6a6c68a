"""Derived knowledge: summaries up the period chain and the profile's facts."""
