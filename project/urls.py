"""One route per probe view."""

from __future__ import annotations

from django.urls import path

from project.probes import views

urlpatterns = [
    path("sync/", views.sync_view),
    path("async/", views.async_view),
]
