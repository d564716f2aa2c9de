"""docker-compose.yml as deployed (audit row 15 and 11): every published port binds the host's
loopback unless HP_PUBLISH_ADDRESS says otherwise, the metrics token reaches the app and
Prometheus, and gunicorn's trusted proxy addresses come from the environment."""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PROMETHEUS = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}")


def expand(text, env):
    """Compose's interpolation for ${VAR}, ${VAR:-default} and ${VAR:?error}."""
    return VARIABLE.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), text)


def published(env):
    out = {}
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            host_ip, host_port, _container = expand(port, env).rsplit(":", 2)
            out[f"{name}:{host_port}"] = host_ip
    return out


def test_every_published_port_binds_loopback_by_default():
    ports = published({})
    assert set(ports) == {"web:8000", "prometheus:9090", "grafana:3000"}
    assert set(ports.values()) == {"127.0.0.1"}, ports


def test_the_publish_address_is_chosen_by_the_environment():
    assert set(published({"HP_PUBLISH_ADDRESS": "0.0.0.0"}).values()) == {"0.0.0.0"}


def test_gunicorn_trusts_forwarded_headers_only_from_the_configured_addresses():
    web = COMPOSE["services"]["web"]["environment"]
    assert expand(web["GUNICORN_FORWARDED_ALLOW_IPS"], {}) == "127.0.0.1,::1"
    assert expand(web["GUNICORN_FORWARDED_ALLOW_IPS"], {"GUNICORN_FORWARDED_ALLOW_IPS": "172.18.0.1"}) == "172.18.0.1"
    assert "DJANGO_BEHIND_TLS_PROXY" not in yaml.safe_dump(COMPOSE)


@pytest.mark.parametrize("service", ["web", "worker"])
def test_the_metrics_token_is_required_and_shared_with_prometheus(service):
    env = COMPOSE["services"][service]["environment"]
    assert env["METRICS_TOKEN"] == "${METRICS_TOKEN:?set METRICS_TOKEN}"
    assert COMPOSE["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    assert COMPOSE["services"]["prometheus"]["secrets"] == ["metrics_token"]
    jobs = {job["job_name"]: job for job in PROMETHEUS["scrape_configs"]}
    for name in ("healthplanner-web", "healthplanner-worker"):
        assert jobs[name]["authorization"] == {"type": "Bearer", "credentials_file": "/run/secrets/metrics_token"}
