"""Web endpoints other than the admin: platform webhooks (and, later, the back-office)."""
