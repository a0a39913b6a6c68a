"""The profile: facts extracted from the person's words, and their one write path."""
