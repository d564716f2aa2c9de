"""Text that is stored, shown in the active language.

Two kinds of stored text:

* **Catalogue data** (indicator and intervention-type names and descriptions) is kept in
  both languages by django-modeltranslation (``name_es``, ``name_en``, …);
  ``translation_fields`` names those columns.
* **Messages written to the database** (a plan line's reason, a task run's log lines) are
  rendered when they are written, in the language active then. Each is registered here
  with ``stored_message`` (an English msgid, translated in the catalogue); ``localize``
  recognises a stored text written in any of the project's languages (or under an older
  msgid registered as ``legacy``), takes its values back out and renders the same message
  in the active language. A text that matches no registered message is shown as stored.
"""
import re
from functools import lru_cache

from django.conf import settings
from django.utils import translation

from .formatting import number

__all__ = ["SavedInDefaultLanguage", "localize", "render", "stored_message", "translation_fields"]

# A printf placeholder as Python's ``%`` operator reads it, or a literal ``%%``.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifgeEr]|%%")
# The time stamp a task run's log line starts with ("14:03:07 ", "2026-12-03 14:03:07 -05 ").
_LOG_PREFIX = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T])?\d{2}:\d{2}(?::\d{2})?(?: ?[A-Z]{2,5}| ?[+-]\d{2}(?::?\d{2})?)? ")

_MESSAGES: dict[str, dict] = {}  # msgid -> {"display": {param: callable}, "as": msgid rendered instead}


def translation_fields(*fields) -> list[str]:
    """The per-language columns django-modeltranslation adds for ``fields``."""
    languages = getattr(settings, "MODELTRANSLATION_LANGUAGES", None) or [code for code, _n in settings.LANGUAGES]
    return [f"{field}_{language.replace('-', '_')}" for field in fields for language in languages]


def stored_message(msgid: str, *, legacy: tuple[str, ...] = (), numbers: dict[str, int] | None = None,
                   **display) -> str:
    """Register ``msgid`` (mark it with ``gettext_noop`` so makemessages finds it) as a
    message written to the database; returns it. ``legacy`` msgids (stored by older
    versions, same placeholders) are recognised and shown as ``msgid``. ``display`` maps a
    placeholder to a function that shows its stored value in the active language (e.g. a
    method code as its label). ``numbers`` maps a placeholder to its decimals: it is written
    as Peru reads numbers in the active language (``30,0``, ``1 234,56``; in English
    ``30.0``, ``1,234.56``), and a stored value written in either language (or by the
    ``printf`` format of an older version) is shown again in the active one."""
    numbers = dict(numbers or {})
    for name, decimals in numbers.items():
        display.setdefault(name, _shown_number(decimals))
    _MESSAGES[msgid] = {"display": display, "as": msgid, "numbers": numbers}
    for old in legacy:
        _MESSAGES[old] = {"display": display, "as": msgid, "numbers": numbers}
    _patterns.cache_clear()
    return msgid


def render(msgid: str, params: dict) -> str:
    """The message in the active language, as it is stored."""
    numbers = _MESSAGES.get(msgid, {}).get("numbers")
    if not numbers:
        return translation.gettext(msgid) % params
    params = {**params, **{name: number(params[name], decimals) for name, decimals in numbers.items()
                           if name in params}}
    return _as_strings(translation.gettext(msgid), only=set(numbers)) % params


def parse_number(text: str, decimals: int) -> float | None:
    """A number written with either language's separators (``1 234,5``, ``1,234.5``,
    ``1234.5``), knowing how many decimals it was written with; None if it is none."""
    body = re.sub(r"[\s\u00a0\u202f]", "", str(text))
    if decimals > 0 and len(body) > decimals and body[-decimals - 1] in ",.":
        whole, fraction = body[:-decimals - 1], body[-decimals:]
    elif decimals > 0 and len(re.findall(r"[.,]", body)) == 1:  # written with other decimals (``%s``)
        whole, _sep, fraction = re.split(r"([.,])", body)
    else:
        whole, fraction = body, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        return float(f"{whole}.{fraction}" if fraction else whole)
    except ValueError:
        return None


def _shown_number(decimals: int):
    def show(text):
        value = parse_number(text, decimals)
        return text if value is None else number(value, decimals)
    return show


def _names(template):
    return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}


def _regex(template):
    parts, seen, pos = [], set(), 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        if name is None:
            parts.append("%")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>.+?)")
            seen.add(name)
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.S)


def _as_strings(template, only=None):
    """``template`` with every placeholder (or those named in ``only``) taking its value as
    text (the stored digits stay)."""
    def text(m):
        if m.group(1) is None:
            return "%%"
        return f"%({m.group(1)})s" if only is None or m.group(1) in only else m.group(0)
    return _PLACEHOLDER.sub(text, template)


@lru_cache(maxsize=1)
def _patterns():
    """(regex, msgid) for every registered message as written in each language, longest first."""
    found = {}
    languages = [code for code, _n in settings.LANGUAGES]
    for msgid in _MESSAGES:
        names = _names(msgid)
        templates = {msgid}
        for language in languages:
            with translation.override(language):
                templates.add(translation.gettext(msgid))
        for template in templates:
            if _names(template) == names:
                found.setdefault(template, msgid)
    ordered = sorted(found.items(), key=lambda item: -len(item[0]))
    return [(_regex(template), msgid) for template, msgid in ordered]


def _localize_body(text):
    for regex, msgid in _patterns():
        match = regex.fullmatch(text)
        if match is None:
            continue
        entry = _MESSAGES[msgid]
        params = match.groupdict()
        for name, show in entry["display"].items():
            if name in params:
                params[name] = show(params[name])
        return _as_strings(translation.gettext(entry["as"])) % params
    return None


def localize(text):
    """A stored message (a reason, a log line) in the active language; other text as is."""
    if not text or not isinstance(text, str):
        return text
    # A log line's time stamp first: a message may start with a placeholder.
    prefix = _LOG_PREFIX.match(text)
    if prefix:
        body = _localize_body(text[prefix.end():])
        if body is not None:
            return prefix.group(0) + body
    body = _localize_body(text)
    return text if body is None else body


class SavedInDefaultLanguage:
    """A model with django-modeltranslation fields whose original column (``name``,
    ``description``) holds the default language's text whatever language is active when it
    is saved: the reporting views and raw SQL read that column."""

    def save(self, *args, **kwargs):
        language = getattr(settings, "MODELTRANSLATION_DEFAULT_LANGUAGE", settings.LANGUAGE_CODE)
        with translation.override(language):
            return super().save(*args, **kwargs)
