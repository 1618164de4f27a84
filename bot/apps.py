"""Django app config for Loa's domain."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoaConfig(AppConfig):
    name = "bot"
    label = "bot"
    verbose_name = _("Loa: reform communication")
