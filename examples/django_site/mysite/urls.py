"""URLs of the example site."""

from __future__ import annotations

from django.urls import path
from portal import views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("activate/", views.activate, name="activate"),
    path("handbook/<str:document>/", views.handbook, name="handbook"),
]
