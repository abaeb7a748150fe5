"""The security probes' routes (tests/probes/test_security.py), included under /security/ by project/urls.py."""

from __future__ import annotations

from django.urls import path

from project.probes import security_views

urlpatterns = [
    path("headers/", security_views.headers_view),
    path("repeated/", security_views.repeated_view),
    path("repeated/scaling/", security_views.repeated_scaling_view),
    path("body/", security_views.body_view),
    path("upload/", security_views.upload_view),
]
