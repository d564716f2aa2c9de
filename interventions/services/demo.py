"""Demo and real data never mix silently: whether the synthetic demo is in the database,
and its removal (what ``load_peru_data --replace-demo`` does before loading)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ..choices import ImportStatus, Level
from ..models import Community, ImportBatch, IndicatorValue, Intervention, Partner
from ..seed.demo import DEMO_NOTE, DEMO_PARTNERS, DEMO_SOURCE, demo_marker
from ..signals import demo_data_removing

__all__ = ["MSG_DEMO_PRESENT", "MSG_DEMO_REMOVED", "MSG_REAL_PRESENT", "DemoDataPresent", "DemoRemoval",
           "RealDataPresent", "demo_check", "demo_present", "demo_remove", "real_data_check", "real_data_present"]

MSG_DEMO_REMOVED = _(
    "Synthetic demo data removed first: %(values)s values, %(interventions)s interventions, %(partners)s "
    "partners, %(communities)s communities (%(communities_kept)s kept: other data refer to them), and every "
    "model, score and plan."
)
MSG_DEMO_PRESENT = _(
    "The database holds the synthetic demo data (source synthetic-demo: %(values)s values, %(communities)s "
    "communities with made-up names). Real data are not loaded on top of them: nothing was written. Run the "
    "command again with --replace-demo to remove the demo data (and the models, scores and plans computed from "
    "them) first, or load into an empty database."
)
MSG_REAL_PRESENT = _(
    "The database holds real data (%(values)s indicator values from %(sources)s). The synthetic demo is not "
    "seeded on top of them: nothing was written. Seed the demo into an empty database (for example "
    "DATABASE_URL=sqlite:///demo.sqlite3), or keep working with the real data (bin/demo --real)."
)
# Communities the demo names (databases seeded before the demo had its marker).
DEMO_NAME = re.compile(r"^(Distrito \d{6}|.+ – provincia \d{2})$")


class DemoDataPresent(Exception):
    """Real data were asked for on top of the synthetic demo."""


class RealDataPresent(Exception):
    """The synthetic demo was asked for on top of real data."""


@dataclass
class DemoRemoval:
    values: int = 0
    interventions: int = 0
    partners: int = 0
    communities: int = 0
    communities_kept: int = 0

    @property
    def message(self) -> str:
        return MSG_DEMO_REMOVED % {k: number_format(v, force_grouping=True) for k, v in vars(self).items()}


def _demo_codes() -> set[str]:
    marker = demo_marker()
    codes = set(marker.summary.get("communities", [])) if marker is not None else set()
    named = Community.objects.filter(name__regex=DEMO_NAME.pattern).values_list("code", flat=True)
    return codes | set(named)


def demo_present() -> bool:
    return (
        demo_marker() is not None
        or IndicatorValue.objects.filter(source=DEMO_SOURCE).exists()
        or Intervention.objects.filter(notes=DEMO_NOTE).exists()
        or Community.objects.filter(name__regex=DEMO_NAME.pattern).exists()
    )


def demo_check(*, replace_demo: bool) -> None:
    """Raise ``DemoDataPresent`` (with the message users see) when the demo is present and
    ``replace_demo`` was not asked for."""
    if replace_demo or not demo_present():
        return
    raise DemoDataPresent(MSG_DEMO_PRESENT % {
        "values": number_format(IndicatorValue.objects.filter(source=DEMO_SOURCE).count(), force_grouping=True),
        "communities": number_format(len(_demo_codes()), force_grouping=True),
    })


def _real_values():
    return IndicatorValue.objects.exclude(source=DEMO_SOURCE)


def _real_batches():
    """Imports that wrote something, other than the demo's own marker."""
    return (ImportBatch.objects.exclude(source=DEMO_SOURCE)
            .filter(status=ImportStatus.SUCCEEDED, rows_written__gt=0))


def real_data_present() -> bool:
    """Whether anything but the demo was imported or entered (an import that wrote rows, or
    an indicator value from another source)."""
    return _real_values().exists() or _real_batches().exists()


def real_data_check() -> None:
    """Raise ``RealDataPresent`` (with the message users see) when real data are present:
    the demo is never seeded on top of them."""
    if not real_data_present():
        return
    sources = sorted(set(_real_values().values_list("source", flat=True).distinct()[:20])
                     | set(_real_batches().values_list("source", flat=True).distinct()[:20]))
    raise RealDataPresent(MSG_REAL_PRESENT % {
        "values": number_format(_real_values().count(), force_grouping=True),
        "sources": ", ".join(source or "—" for source in sources[:8]),
    })


@transaction.atomic
def demo_remove() -> DemoRemoval:
    """Remove the synthetic demo: what other apps computed from it (through
    ``demo_data_removing``), its values, interventions and partners, the communities it
    made (those that nothing else refers to any more) and its marker."""
    result = DemoRemoval()
    demo_data_removing.send(sender=DemoRemoval)
    values = IndicatorValue.objects.filter(source=DEMO_SOURCE)
    result.values = values.count()
    # 400,000 rows: one statement, not Django's per-row collector (the demo's values carry
    # no history rows of their own: the seed bulk-creates them).
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {IndicatorValue._meta.db_table} WHERE source = %s", [DEMO_SOURCE])
    interventions = Intervention.objects.filter(notes=DEMO_NOTE)
    result.interventions = interventions.count()
    interventions.delete()
    partners = list(Partner.objects.filter(name__in=[name for name, _a, _k in DEMO_PARTNERS],
                                           interventions__isnull=True, members__isnull=True)
                    .values_list("pk", flat=True))
    result.partners = len(partners)
    Partner.objects.filter(pk__in=partners).delete()
    codes = _demo_codes()
    kept = 0
    for level in (Level.DISTRICT, Level.PROVINCE, Level.DEPARTMENT, Level.COUNTRY):
        candidates = Community.objects.filter(code__in=codes, level=level)
        free = candidates.filter(
            ~Exists(IndicatorValue.objects.filter(community=OuterRef("pk"))),
            ~Exists(Intervention.objects.filter(community=OuterRef("pk"))),
            ~Exists(Community.objects.filter(parent=OuterRef("pk"))),
        )
        free_ids = list(free.values_list("pk", flat=True))
        kept += candidates.exclude(pk__in=free_ids).count()
        result.communities += len(free_ids)
        Community.objects.filter(pk__in=free_ids).delete()
    result.communities_kept = kept
    ImportBatch.objects.filter(source=DEMO_SOURCE).delete()
    return result
