"""The audit trail in words (DEL-7): ``{{ event.action|action_label }}``, ``{% event_sentence event %}``."""

from django import template

from portal import audit_text
from portal.audit import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)


def _prepared(context, event):
    """The event as the page's reader may read it (audit_text.prepare: masking, TEN-4)."""
    request = context.get("request")
    viewer = getattr(request, "user", None) or context.get("user")
    return audit_text.prepare([event], viewer)[0]


@register.simple_tag(takes_context=True)
def event_sentence(context, event) -> str:
    return audit_text.sentence(_prepared(context, event))


@register.simple_tag(takes_context=True)
def event_details(context, event) -> list:
    return audit_text.details(_prepared(context, event))


@register.simple_tag(takes_context=True)
def event_object(context, event) -> str:
    return audit_text.object_label(_prepared(context, event))
