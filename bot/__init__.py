"""Loa: the Django project and the domain (queue, publishing, content, web, CLI)."""
