"""Read models: what the CLI and the TUI show, built once, read-only and presentation-free.

Each view is a plain function of `services` returning dataclasses or JSON-ready dicts;
`secondme.cli` formats them for a terminal and `tui.screens` for widgets, so the two
front ends can never show different evidence for the same data.
"""
