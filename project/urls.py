"""One route per probe view."""

from __future__ import annotations

from django.urls import include, path

from project.probes import views

urlpatterns = [
    path("sync/", views.sync_view),
    path("async/", views.async_view),
    path("sleep/async/", views.async_sleep_view),
    path("sleep/sync/", views.sync_sleep_view),
    path("class/async/", views.AsyncClassView.as_view()),
    path("protocol/sync/", views.sync_protocol_view),
    path("protocol/async/", views.async_protocol_view),
    path("stream/async/", views.async_stream_view),
    path("stream/sync/", views.sync_stream_view),
    path("stream/file/", views.file_response_view),
    path("disconnect/", views.disconnect_view),
    path("disconnect/state/", views.disconnect_state),
    *(path(f"decorated/{name}/", view) for name, view in views.DECORATED_VIEWS.items()),
    path("security/", include("project.probes.security_urls")),
    path("patchfixes/", include("project.probes.patchfix_urls")),
]
