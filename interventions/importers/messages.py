"""Every message the importers show to staff. Tests assert these exact texts.

A cell problem is shown as ``MSG_CELL`` (file, row, column, then the problem); a
problem with the whole file as ``MSG_FILE``. Rows are counted as a spreadsheet shows
them: the first line of the file is row 1.
"""
from django.utils.translation import gettext_lazy as _

# --- Framing -----------------------------------------------------------------------
MSG_CELL = _("%(file)s, row %(row)s, column “%(column)s”: %(problem)s")
MSG_ROW = _("%(file)s, row %(row)s: %(problem)s")
MSG_FILE = _("%(file)s: %(problem)s")
MSG_MORE_ERRORS = _("… and %(count)s more errors (only the first %(shown)s are listed).")

# --- Whole-file problems -----------------------------------------------------------
MSG_EMPTY_FILE = _("the file is empty: it has no header row and no data.")
MSG_HEADER_ONLY = _("row %(row)s is the header, but no data rows follow it.")
MSG_NOT_A_TABLE = _(
    "the file is not a table that can be read (it looks like binary data, not CSV, "
    "XLSX or XLS). Save it from your spreadsheet as CSV UTF-8 or XLSX and try again."
)
MSG_BAD_ENCODING = _(
    "the file's characters cannot be read (it is not UTF-8 or Latin-1 text, perhaps "
    "UTF-16). Save it from your spreadsheet as “CSV UTF-8” and try again."
)
MSG_CORRUPT_XLSX = _(
    "the file is named like an Excel workbook but cannot be opened (it is truncated or "
    "damaged). Open it in your spreadsheet, save it again as XLSX and retry."
)
MSG_CORRUPT_XLS = _(
    "the file is an old Excel (XLS) workbook that cannot be opened (it is truncated or "
    "damaged). Save it again as XLSX and retry."
)
MSG_NO_SHEET = _("the workbook has no sheet named “%(sheet)s” (its sheets: %(sheets)s).")
MSG_MISSING_COLUMN = _(
    "row %(row)s (the header) has no column “%(column)s”, which is required "
    "(columns found: %(found)s)."
)
MSG_NO_HEADER = _(
    "no header row with the columns %(columns)s was found in the first %(rows)s rows."
)
MSG_UNKNOWN_FILE = _(
    "this file is not one of the files of the source “%(source)s” (expected one of: %(expected)s)."
)
MSG_UNKNOWN_INDICATOR = _(
    "“%(code)s” is not a known indicator code. Known codes: %(known)s. Ask an administrator "
    "to create it, or use --create-indicators."
)
MSG_TOTAL_MISMATCH = _(
    "the districts add up to %(sum)s but the file's TOTAL row says %(total)s."
)
MSG_RAGGED_ROW = _(
    "the row has %(cells)s cells but the rows above it have %(expected)s: a separator or a "
    "quote is probably missing or extra."
)
MSG_TOO_LARGE_UNCOMPRESSED = _(
    "the file unpacks to %(size)s MB, more than the %(max)s MB an import may read "
    "(IMPORT_MAX_UNCOMPRESSED_BYTES); nothing was unpacked. Split it into smaller files."
)
MSG_TOO_MANY_ROWS = _(
    "the file has more than %(max)s rows, the most an import may read (IMPORT_MAX_ROWS); reading "
    "stopped there. Split it into smaller files."
)
MSG_TOO_MANY_COLUMNS = _(
    "a row has %(columns)s columns, more than the %(max)s an import may read (IMPORT_MAX_COLUMNS); "
    "reading stopped there."
)
MSG_TOO_MANY_CELLS = _(
    "the file has more than %(max)s cells, the most an import may read (IMPORT_MAX_CELLS); reading "
    "stopped there. Split it into smaller files."
)
MSG_TIME_BUDGET = _(
    "the import took longer than its time budget of %(seconds)s seconds (IMPORT_TIME_BUDGET_SECONDS) "
    "and was stopped; nothing was written. Split the file into smaller ones."
)
MSG_NOT_JSON = _("the file is not GeoJSON: %(detail)s.")
MSG_NO_KEY_PROPERTY = _("feature %(row)s has no property “%(column)s” with its UBIGEO code.")

# --- Cell problems -----------------------------------------------------------------
MSG_EMPTY_CELL = _("the cell is empty, but a value is required.")
MSG_NOT_A_NUMBER = _("“%(text)s” is not a number.")
MSG_MISSING_REQUIRED = _("“%(text)s” marks a missing value, but a value is required here.")
MSG_NUL_CHARACTER = _("this line holds a NUL character (byte 0) inside a cell: the file is refused rather than read "
                      "wrongly (a cell “12<NUL>5” would be read as 12).")
MSG_NOT_A_WHOLE_NUMBER = _("“%(text)s” is not a whole number.")
MSG_NOT_A_YEAR = _("“%(text)s” is not a year between 1900 and 2100.")
MSG_FORMULA = _(
    "“%(text)s” looks like a spreadsheet formula; formulas are refused. Paste the value "
    "itself instead."
)
MSG_NEGATIVE = _("%(value)s is negative, but it must be zero or more.")
MSG_PERCENT_RANGE = _("%(value)s is not a percentage between 0 and 100.")
MSG_OUT_OF_RANGE = _("%(value)s is outside the valid range of %(indicator)s (%(min)s to %(max)s %(unit)s).")
MSG_INTERVAL = _("the interval %(lower)s–%(upper)s does not contain the value %(value)s.")
MSG_BAD_UBIGEO = _(
    "“%(text)s” is not a UBIGEO code: use 2 digits for a department, 4 for a province, "
    "6 for a district (INEI codes, e.g. 01, 0101, 010101), or PE for the whole country."
)
MSG_UNKNOWN_UBIGEO = _(
    "“%(code)s” is not a known INEI UBIGEO code. Load the ubigeo source first; and note "
    "that RENIEC codes differ from INEI codes for most districts."
)
MSG_WRONG_LEVEL = _("“%(code)s” is a %(level)s code, but this column holds %(expected)s codes.")
MSG_DUPLICATE = _(
    "the same %(what)s already appears on row %(first)s; each must appear only once."
)
MSG_TEXT_TOO_LONG = _("the text is longer than %(max)s characters.")
MSG_COORDINATE = _("%(value)s is outside Peru (%(min)s to %(max)s).")
KEY_WHAT = _("place, indicator and year")
KEY_WHAT_CODE = _("UBIGEO code")
MSG_PARENT_MISSING = _(
    "the community %(parent)s that contains %(code)s does not exist: load the ubigeo source first."
)
MSG_UNKNOWN_AREA = _("“%(text)s” is not a known area (expected Total, Urbano or Rural).")
MSG_BAD_INDICATOR_CODE = _(
    "“%(code)s” cannot be an indicator code: use lower-case letters, digits and underscores, "
    "starting with a letter."
)
CREATED_BY_IMPORT = _("Created while importing %(file)s; complete its name, unit and range.")
MSG_ROLLBACK_NOT_SUCCEEDED = _("Only a succeeded import can be rolled back; this one is “%(status)s”.")
MSG_ROLLBACK_COMMUNITIES = _(
    "This import created or changed communities; only imports of indicator values can be rolled back."
)
MSG_DATABASE_REFUSED = _(
    "the database refused the data (%(detail)s); nothing was written. If another import of the "
    "same source was running, try again."
)
