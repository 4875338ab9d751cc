from django.urls import path

from . import views

urlpatterns = [
    path("orders", views.place_order),
    path("list", views.list_orders),
    path("pollute", views.pollute),
    path("bare", views.bare_order),
]
