"""Content: rendering posts into each channel's message (templates, limits)."""
