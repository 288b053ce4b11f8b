"""The audit trail in words (DEL-7): ``{{ event.action|action_label }}``, ``{% event_sentence event %}``."""

from django import template

from portal import audit_text
from portal.audit import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)


@register.simple_tag
def event_sentence(event) -> str:
    return audit_text.sentence(event)


@register.simple_tag
def event_details(event) -> list:
    return audit_text.details(event)


@register.simple_tag
def event_object(event) -> str:
    return audit_text.object_label(event)
