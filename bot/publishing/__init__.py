"""The content queue: delivery states, claiming, publishing, reaping and reconciliation."""
