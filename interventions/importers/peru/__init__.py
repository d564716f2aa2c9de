"""Built-in adapters for the public Peruvian files laid out like ``../shared/data/peru/``
(see its README for each file's layout and traps): one module per source, each adapter
registered in ``PERU_ADAPTERS``; ``LOAD_ORDER`` is the order ``load_peru_data`` runs them in."""
from .boundaries import BOUNDARY_KEYS, CROSSWALK_FILE, BoundariesAdapter
from .census import CENSUS_TABLES, CensusAdapter
from .common import read_table, values_frame
from .endes import EndesAdapter
from .poverty import PovertyAdapter
from .sien import SienAdapter, stacked_header_table
from .ubigeo import LAT_RANGE, LON_RANGE, UbigeoAdapter

__all__ = [
    "UbigeoAdapter",
    "BoundariesAdapter",
    "PovertyAdapter",
    "CensusAdapter",
    "EndesAdapter",
    "SienAdapter",
    "PERU_ADAPTERS",
    "LOAD_ORDER",
    # importable from here as they were from peru.py
    "BOUNDARY_KEYS",
    "CENSUS_TABLES",
    "CROSSWALK_FILE",
    "LAT_RANGE",
    "LON_RANGE",
    "read_table",
    "stacked_header_table",
    "values_frame",
]

PERU_ADAPTERS = {a.name: a for a in (UbigeoAdapter(), BoundariesAdapter(), PovertyAdapter(), CensusAdapter(),
                                     EndesAdapter(), SienAdapter())}
LOAD_ORDER = ("ubigeo", "boundaries", "poverty-2018", "census-2017", "endes-departments", "sien-2022")
