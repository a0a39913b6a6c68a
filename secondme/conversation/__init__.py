"""The chat: a session's recall, prompt, reply and the checks on it."""
