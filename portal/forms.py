"""HTML side of the error mapping: a DomainError's fields go on the form, its detail into messages."""

from django.contrib import messages

from portal.errors import DomainError


def form_error(request, form, exc: DomainError) -> None:
    """``form`` may be None (a POST-only view that redirects): then only the message is shown."""
    if form is not None:
        for field, errors in (exc.fields or {}).items():
            for error in errors if isinstance(errors, list | tuple) else [errors]:
                form.add_error(field if field in form.fields else None, str(error))
    messages.error(request, str(exc.detail))
    if getattr(exc, "retry_after", None):
        request.retry_after = exc.retry_after  # DomainErrorMiddleware sends it as Retry-After
