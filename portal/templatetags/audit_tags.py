"""``{{ event.action|action_label }}``: an audit action in words (DEL-7 trail, dashboard, a grant's history)."""

from django import template

from portal.audit import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)
