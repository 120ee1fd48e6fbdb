"""URLs of the example site."""

from __future__ import annotations

from django.urls import path
from portal import views

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("activate/", views.activate, name="activate"),
    path("handbook/<str:document>/", views.handbook, name="handbook"),
]
