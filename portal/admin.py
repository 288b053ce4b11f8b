"""Admin plumbing (UI-2): every changelist is scoped by portal.access for non-superusers; audit is read-only.
Background jobs (portal.outbox; OPS-1): failed ones are listed and filtered here and re-run by an action."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import access, outbox
from portal.audit import record_event
from portal.errors import DomainError
from portal.models import AuditEvent, IdempotencyRecord, JobStatus, OutboxJob, RequestCounter, Sequence


def run_service_action(modeladmin, request, queryset, call, done) -> None:
    """An admin action that calls a service once per selected object: ``call(user, obj)``; refusals are
    listed per object, the rest counted in ``done % {"n": …}``. Every app's admin actions use it, so an admin
    write goes through the same service (rights, transaction, audit) as the portal's."""
    ok = 0
    for obj in queryset:
        try:
            call(request.user, obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


# UI-2: the admin carries the product's name, not Django's.
admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = _("Administration")


class ScopedAdminMixin:
    """Non-superuser staff see in the admin only what portal.access lets them see."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=access.visible(request.user, self.model).values("pk"))


class OwnRowsAdminMixin:
    """Rows that belong to one user and to no account (notices, tokens, idempotency records): a non-superuser
    staff member sees only their own (the authority has nothing to say about other people's rows)."""

    owner_field = "user"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.owner_field: request.user})


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "acting_account", "action", "target_repr", "tenant", "grant"]
    list_filter = ["action", "created_at"]
    search_fields = ["action", "target_repr", "actor__email", "tenant__number", "account__number"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "acting_account", "tenant", "grant"]

    # The stored object and changes are as recorded; masking for the reader (names of domains marked
    # confidential later, TEN-4) happens when the trail is read in the portal (audit_text.prepare). So staff
    # without superuser status see neither here, nor search them — the portal's trail shows them masked.
    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [field for field in self.list_display if field != "target_repr"]

    def get_search_fields(self, request):
        if request.user.is_superuser:
            return self.search_fields
        return [field for field in self.search_fields if field != "target_repr"]

    def get_exclude(self, request, obj=None):
        return None if request.user.is_superuser else ["target_repr", "changes"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(OwnRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "key", "method", "path", "status_code", "completed_at"]
    search_fields = ["key", "path", "user__email"]
    list_filter = ["method", "status_code"]


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "last_value"]


@admin.register(OutboxJob)
class OutboxJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Background jobs: infrastructure, not tenant data, so Django's model permissions decide (view to see,
    change to re-run). Rows change only through portal.outbox."""

    list_display = [
        "id",
        "task_name",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "finished_at",
        "short_error",
    ]
    list_filter = ["status", "task_name", "created_at", "finished_at"]
    search_fields = ["task_name", "dedupe_key", "last_error"]
    date_hierarchy = "created_at"
    actions = ["rerun"]
    readonly_fields = [field.name for field in OutboxJob._meta.fields]

    @admin.display(description=_("last error"))
    def short_error(self, job: OutboxJob) -> str:
        return job.last_error[:120]

    def has_rerun_permission(self, request) -> bool:
        return request.user.has_perm("portal.change_outboxjob")

    @admin.action(description=_("Re-run the selected failed jobs"), permissions=["rerun"])
    def rerun(self, request, queryset):
        failed = queryset.filter(status=JobStatus.FAILED)
        ids = list(failed.values_list("pk", flat=True))
        tasks = sorted(set(failed.values_list("task_name", flat=True)))
        skipped = queryset.count() - len(ids)
        count = outbox.rerun(ids)
        if count:
            record_event(actor=request.user, action="portal.jobs.rerun", data={"jobs": ids, "tasks": tasks})
            self.message_user(
                request,
                ngettext("%(count)d job will run again.", "%(count)d jobs will run again.", count)
                % {"count": count},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected job had not failed and was left as it is.",
                    "%(count)d selected jobs had not failed and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(RequestCounter)
class RequestCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["scope", "identity", "window_start", "count"]
    list_filter = ["scope"]
    search_fields = ["identity"]
