"""Routes of the patch-fix probes (project/probes/patchfixes.py), under /patchfixes/."""

from __future__ import annotations

from django.urls import path

from project.probes import patchfixes

urlpatterns = [
    path("finished/", patchfixes.finished_view),
    path("slow/", patchfixes.slow_view),
]
