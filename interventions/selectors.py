"""Reads that more than one caller needs (HackSoft's selectors): the admin, the API and the
commands call these instead of building the same queries themselves."""
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Intervention
from .partner_scope import is_partner_scoped, partner_of

__all__ = [
    "MSG_WIDE_SOURCES",
    "WideSourceConflict",
    "indicator_value_wide_keys",
    "indicator_value_wide_rows",
    "intervention_list",
    "intervention_overlaps",
]

MSG_WIDE_SOURCES = _(
    "Several sources give %(indicator)s for %(community)s in %(year)s (%(sources)s): "
    "choose one with source=… for the wide layout."
)


class WideSourceConflict(Exception):
    """Two sources give the same indicator for one community and year: a wide row would
    have to choose between them."""

    def __init__(self, *, indicator: str, community: str, year: int, sources: list[str]):
        self.message = MSG_WIDE_SOURCES % {
            "indicator": indicator, "community": community, "year": year, "sources": ", ".join(sources),
        }
        super().__init__(str(self.message))


def indicator_value_wide_keys(*, values: QuerySet) -> tuple[QuerySet, QuerySet]:
    """The wide layout's row keys (community and year, by code then year) of already
    filtered indicator values, and the query that counts them. Both are lazy: the caller
    paginates the keys, then asks :func:`indicator_value_wide_rows` for that page."""
    values = values.order_by()
    keys = (
        values.values("community_id", "community__code", "community__name", "year")
        .distinct()
        .order_by("community__code", "year")
    )
    counted = values.values("community_id", "year").distinct()
    return keys, counted


def indicator_value_wide_rows(*, values: QuerySet, keys) -> list[dict]:
    """One row per key (community and year) with one column per indicator code among the
    values: the value, or None. Raises :class:`WideSourceConflict` when two sources give
    the same cell."""
    values = values.order_by()
    columns = sorted(set(values.values_list("indicator__code", flat=True).distinct()))
    rows = {
        (k["community_id"], k["year"]): {
            "community": k["community__code"],
            "community_id": k["community_id"],
            "community_name": k["community__name"],
            "year": k["year"],
            **dict.fromkeys(columns),
        }
        for k in keys
    }
    cells = values.filter(
        community_id__in={k["community_id"] for k in keys}, year__in={k["year"] for k in keys}
    ).values_list("community_id", "year", "indicator__code", "value", "source")
    seen = {}
    for community_id, year, code, value, source in cells:
        row = rows.get((community_id, year))
        if row is None:
            continue
        earlier = seen.setdefault((community_id, year, code), source)
        if earlier != source:
            raise WideSourceConflict(
                indicator=code, community=row["community"], year=year, sources=sorted({earlier, source})
            )
        row[code] = value
    return list(rows.values())


def intervention_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The interventions ``user`` may see: a partner-scoped user only its own
    organisation's (none when it belongs to no partner); everyone else all."""
    queryset = Intervention.objects.all() if queryset is None else queryset
    if is_partner_scoped(user):
        partner = partner_of(user)
        return queryset.filter(partner=partner) if partner else queryset.none()
    return queryset



LIVE = ("planned", "active")


def intervention_overlaps(*, queryset: QuerySet | None = None) -> QuerySet:
    """Planned or active interventions that another partner's planned or active
    intervention of the same type duplicates in the same community at overlapping dates
    (two partners covering one need)."""
    queryset = Intervention.objects.all() if queryset is None else queryset
    # Another partner's live intervention of the type there, not ended before this one starts …
    others = Intervention.objects.filter(
        community=OuterRef("community"), intervention_type=OuterRef("intervention_type"), status__in=LIVE,
    ).exclude(partner=OuterRef("partner")).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("start_date")))
    # … and (when this one has an end) starting before it ends.
    return queryset.filter(status__in=LIVE).annotate(
        overlaps_open=Exists(others), overlaps_closed=Exists(others.filter(start_date__lte=OuterRef("end_date"))),
    ).filter(Q(end_date__isnull=True, overlaps_open=True) | Q(overlaps_closed=True))
