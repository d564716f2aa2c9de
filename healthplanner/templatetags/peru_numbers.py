"""Template filters for numbers as Peru reads them (``healthplanner.formatting``):
``{% load peru_numbers %}`` then ``{{ x|soles }}``, ``{{ x|num:1 }}``, ``{{ x|pct }}``
(a value in percent), ``{{ x|share }}`` (a share 0–1), ``{{ x|ratio3 }}``."""
from django import template

from .. import formatting

register = template.Library()


@register.filter
def soles(value):
    return formatting.amount_pen(value)


@register.filter
def num(value, decimals=0):
    return formatting.number(value, int(decimals))


@register.filter
def pct(value, decimals=1):
    return formatting.percent(value, int(decimals))


@register.filter
def share(value, decimals=1):
    return formatting.share(value, int(decimals))


@register.filter
def ratio3(value):
    return formatting.ratio(value)
