"""healthplanner.db.copy_rows, the one COPY helper of the importers and the score writer."""
import numpy as np
import pytest
from django.db import connection

from healthplanner.db import copy_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only"),
]


def test_csv_rows_with_nulls_and_json():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_csv (n integer, x double precision, t text, j jsonb)")
        copy_rows(connection, "copy_csv", ["n", "x", "t", "j"],
                  [(1, 2.5, "a,b", {"k": [1, None]}), (2, None, None, None)])
        cursor.execute("SELECT n, x, t, j::text FROM copy_csv ORDER BY n")
        assert cursor.fetchall() == [(1, 2.5, "a,b", '{"k": [1, null]}'), (2, None, None, None)]


def test_binary_columns_from_a_cursor():
    types = {"a": "bigint", "b": "smallint", "c": "integer", "d": "double precision", "e": "real"}
    data = {"a": np.array([2**40, -1]), "b": np.array([2018, 7]), "c": np.array([-1, 10**6]),
            "d": np.array([0.125, np.nan]), "e": np.array([1.5, -2.0])}
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE copy_bin ({', '.join(f'{c} {t}' for c, t in types.items())})")
        copy_rows(cursor, "copy_bin", list(types), data, format="binary", types=types)
        cursor.execute("SELECT a, b, c, d, e FROM copy_bin ORDER BY b DESC")
        rows = cursor.fetchall()
    assert rows[0] == (2**40, 2018, -1, 0.125, 1.5)
    assert rows[1][:3] == (-1, 7, 10**6) and np.isnan(rows[1][3]) and rows[1][4] == -2.0


def test_binary_needs_types_and_formats_are_checked():
    with pytest.raises(ValueError, match="types"):
        copy_rows(connection, "t", ["a"], {"a": [1]}, format="binary")
    with pytest.raises(ValueError, match="unknown format"):
        copy_rows(connection, "t", ["a"], [(1,)], format="text")
