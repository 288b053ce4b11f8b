"""In-app notifications (DEL-1, DEL-4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ._common import (
    _next_or,
)

# --- In-app notifications ---------------------------------------------------------------------------------


@login_required
def notification_list(request):
    notifications = selectors.notifications_for(request.user).order_by("-created_at", "-id")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "delegations/notifications.html",
        {"page": page, "unread": selectors.unread_notification_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = selectors.notifications_for(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.mark_notification_read(actor=request.user, notification=notification)
    if request.htmx:
        return render(request, "delegations/partials/_notification.html", {"notification": notification})
    return HttpResponseRedirect(_next_or(request, reverse("notification_list")))


@login_required
@require_POST
def notification_read_all(request):
    count = services.mark_all_notifications_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notification_list")
