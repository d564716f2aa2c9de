"""The OpenAPI document served at /api/schema/ is byte-identical to the committed one.

Refactors that must not change behaviour (issue 9) are checked against it. When the API
changes on purpose, regenerate the files with
``HP_UPDATE_OPENAPI=1 bin/test tests/test_api_schema_snapshot.py`` and commit the diff.
"""
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "data" / "openapi"


@pytest.mark.parametrize("language", ["en", "es"])
def test_served_schema_is_byte_identical_to_snapshot(client, language):
    response = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    served = response.content
    snapshot = SNAPSHOTS / f"schema.{language}.yaml"
    if os.environ.get("HP_UPDATE_OPENAPI") == "1":
        snapshot.write_bytes(served)
    assert snapshot.is_file(), f"{snapshot} is missing: run with HP_UPDATE_OPENAPI=1 once and commit it"
    expected = snapshot.read_bytes()
    assert served == expected, (
        f"/api/schema/ ({language}) differs from {snapshot.name}: "
        f"{len(served)} bytes served, {len(expected)} committed"
    )
