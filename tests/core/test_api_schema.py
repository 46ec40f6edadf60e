"""The OpenAPI schema is generated without warnings, validates, and is served to logged-in users only."""

import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    assert "/api/work-items/{id}/actions/{transition}/" in paths
    assert "/api/people/{id}/reveal/" in paths


@pytest.mark.django_db
def test_schema_and_docs_need_a_login(world, client):
    assert client.get("/api/schema/").status_code in (401, 403)
    c = world.client("liaison")
    assert c.get("/api/schema/").status_code == 200
    docs = c.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn.jsdelivr" not in docs
