"""Spanish formats as Peru writes numbers (NMP 002, the SI's rule): a space between
groups of thousands and a decimal comma, ``S/ 1 234 567,89``. Everything else is Django's
``es`` locale. A no-break space, so an amount never wraps across two lines."""
from django.conf.locale.es.formats import *  # noqa: F401,F403

THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
