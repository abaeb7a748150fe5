"""The app the probes exercise: its views, middleware and models."""

from __future__ import annotations

from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "project.probes"
    label = "probes"
