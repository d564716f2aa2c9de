"""What the Grafana tests share: the dashboards and provisioning files, and a small
re-implementation of what Grafana does to a query before it reaches the database or
Prometheus (template variables, then the data source's macros).

Grafana's server cannot be installed here, so these follow its source:
- template variables: ``templateSrv.replace`` with the SQL data source's
  ``interpolateVariable`` (a single value has its quotes doubled and is not quoted;
  multi-value and "All" values are each quoted and joined with commas; a custom "All"
  value goes in raw) and the Prometheus data source's ``interpolateQueryExpr`` (regex
  escaping, ``(a|b)`` for several values);
- SQL global substitutions (``sqleng.Interpolate``: ``$__interval_ms``, ``$__interval``,
  ``$__unixEpochFrom()``, ``$__unixEpochTo()``) then the PostgreSQL macro engine
  (``pkg/tsdb/grafana-postgresql-datasource/macros.go``): ``$__time``, ``$__timeEpoch``,
  ``$__timeFilter``, ``$__timeFrom``, ``$__timeTo``, ``$__timeGroup``,
  ``$__timeGroupAlias``, ``$__unixEpochFilter``, ``$__unixEpochNanoFilter``,
  ``$__unixEpochNanoFrom``, ``$__unixEpochNanoTo``, ``$__unixEpochGroup``,
  ``$__unixEpochGroupAlias``;
- Prometheus built-ins: ``$__interval``, ``$__interval_ms``, ``$__rate_interval``
  (max(interval + scrape interval, 4 × scrape interval)), ``$__range``, ``$__range_s``,
  ``$__range_ms``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_DIR = ROOT / "grafana" / "dashboards"
DATASOURCES_FILE = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
DASHBOARD_PROVIDERS_FILE = ROOT / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml"
PROMETHEUS_CONFIG = ROOT / "prometheus" / "prometheus.yml"
COMPOSE_FILE = ROOT / "docker-compose.yml"

PG_TYPES = {"grafana-postgresql-datasource", "postgres"}
PROM_TYPES = {"prometheus"}
ALL = "$__all"


# ------------------------------------------------------------------ files
def load_dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def load_datasources() -> list[dict]:
    return yaml.safe_load(DATASOURCES_FILE.read_text())["datasources"]


def datasource_types() -> dict[str, str]:
    return {ds["uid"]: ds["type"] for ds in load_datasources()}


def iter_panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows


def target_datasource(panel: dict, target: dict) -> dict:
    return target.get("datasource") or panel.get("datasource") or {}


@dataclass
class Target:
    dashboard_file: str
    dashboard: dict
    panel: dict
    target: dict

    @property
    def id(self) -> str:
        return f"{self.dashboard_file}:{self.panel['id']}:{self.target['refId']}"

    @property
    def datasource(self) -> dict:
        return target_datasource(self.panel, self.target)


def all_targets(kind: set[str]) -> list[Target]:
    types = datasource_types()
    found = []
    for name, dashboard in load_dashboards().items():
        for panel in iter_panels(dashboard):
            for target in panel.get("targets", []):
                ds = target_datasource(panel, target)
                if types.get(ds.get("uid")) in kind:
                    found.append(Target(name, dashboard, panel, target))
    return found


# ------------------------------------------------------------------ time
_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdwMy]))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_relative(text: str, now: datetime) -> datetime:
    match = _RELATIVE.match(text)
    if not match:
        raise ValueError(f"unsupported time expression {text!r}")
    if not match.group(1):
        return now
    n, unit = int(match.group(1)), match.group(2)
    if unit == "y":
        return now.replace(year=now.year - n)
    if unit == "M":
        month = now.month - 1 - n
        return now.replace(year=now.year + month // 12, month=month % 12 + 1)
    return now - timedelta(seconds=n * _UNIT_SECONDS[unit])


@dataclass
class TimeRange:
    start: datetime
    end: datetime

    @classmethod
    def of_dashboard(cls, dashboard: dict, now: datetime | None = None) -> TimeRange:
        now = now or datetime.now(UTC)
        return cls(parse_relative(dashboard["time"]["from"], now), parse_relative(dashboard["time"]["to"], now))

    @property
    def ms(self) -> int:
        return int((self.end - self.start).total_seconds() * 1000)


def rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339Nano for a UTC time (trailing zeros of the fraction dropped)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ("." + f"{moment.microsecond:06d}").rstrip("0")
    return text + "Z"


# Grafana's rangeutil.roundInterval: (upper bound ms, rounded ms).
_ROUND = [
    (15, 10), (35, 20), (75, 50), (150, 100), (250, 200), (350, 300), (450, 400), (750, 500),
    (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000),
    (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000), (1050000, 600000),
    (2100000, 1200000), (5400000, 3600000), (9000000, 7200000), (16200000, 10800000),
    (32400000, 21600000), (86400000, 43200000), (604800000, 86400000),
    (1814400000, 604800000), (3628800000, 2592000000),
]


def round_interval_ms(ms: float) -> int:
    for bound, rounded in _ROUND:
        if ms < bound:
            return rounded
    return 31536000000


def parse_duration_ms(text: str) -> int:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text.strip())
    if not match:
        raise ValueError(f"unsupported interval {text!r}")
    n, unit = int(match.group(1)), match.group(2)
    return n * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000,
                "y": 31536000000}[unit]


def format_interval(ms: int) -> str:
    """gtime.FormatInterval / rangeutil.secondsToHms: the largest whole unit."""
    for unit, size in (("y", 31536000000), ("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms >= size:
            return f"{ms // size}{unit}"
    return f"{max(ms, 1)}ms"


def panel_interval_ms(panel: dict, time_range: TimeRange, low_limit: str | None, resolution: int = 1000) -> int:
    """rangeutil.calculateInterval: the range over the panel's data points, rounded, and
    never below the panel's or the data source's minimum interval."""
    interval = round_interval_ms(time_range.ms / (panel.get("maxDataPoints") or resolution))
    limit = panel.get("interval") or low_limit
    if limit:
        interval = max(interval, parse_duration_ms(limit.lstrip(">")))
    return interval


# ------------------------------------------------------------------ template variables
@dataclass
class VariableValue:
    name: str
    value: str | list[str]
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    is_all: bool = False
    options: list[str] = field(default_factory=list)


_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}"
)


def sql_quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def sql_interpolate(value, variable: VariableValue):
    """The SQL data sources' interpolateVariable."""
    if isinstance(value, str):
        if variable.multi or variable.include_all:
            return sql_quote(value)
        return value.replace("'", "''")
    if isinstance(value, (int, float)):
        return str(value)
    return ",".join(sql_quote(v) for v in value)


def _prom_regular_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def _prom_special_regex_escape(value: str) -> str:
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", _prom_regular_escape(value))


def prom_interpolate(value, variable: VariableValue):
    """The Prometheus data source's interpolateQueryExpr."""
    if not variable.multi and not variable.include_all:
        return _prom_regular_escape(value if isinstance(value, str) else ",".join(value))
    if isinstance(value, str):
        return _prom_special_regex_escape(value)
    escaped = [_prom_special_regex_escape(v) for v in value]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def _apply_format(value, fmt: str):
    values = [value] if isinstance(value, str) else list(value)
    if fmt in ("raw", "csv"):
        return ",".join(values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "sqlstring":
        return ",".join(sql_quote(v) for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "pipe":
        return "|".join(values)
    if fmt == "regex":
        escaped = [re.escape(v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    raise ValueError(f"unsupported variable format {fmt!r}")


def replace_variables(text: str, variables: dict[str, VariableValue], interpolate) -> str:
    """templateSrv.replace: unknown names (Grafana's macros) are left as they are."""

    def substitute(match):
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        variable = variables.get(name)
        if variable is None:
            return match.group(0)
        value = variable.value
        if variable.is_all:
            if variable.all_value is not None and not fmt:
                return variable.all_value
            value = variable.options
        if fmt:
            return _apply_format(value, fmt)
        return str(interpolate(value, variable))

    return _VARIABLE.sub(substitute, text)


def builtin_variables(time_range: TimeRange, interval_ms: int) -> dict[str, VariableValue]:
    start_ms = int(time_range.start.timestamp() * 1000)
    end_ms = int(time_range.end.timestamp() * 1000)
    return {
        "__from": VariableValue("__from", str(start_ms)),
        "__to": VariableValue("__to", str(end_ms)),
        "__interval": VariableValue("__interval", format_interval(interval_ms)),
        "__interval_ms": VariableValue("__interval_ms", str(interval_ms)),
    }


def choose_value(variable: dict, options: list[str]) -> VariableValue:
    """The variable's saved current value when it is still offered, else the first option."""
    current = (variable.get("current") or {}).get("value")
    multi, include_all = bool(variable.get("multi")), bool(variable.get("includeAll"))
    common = dict(multi=multi, include_all=include_all, all_value=variable.get("allValue") or None,
                  options=options)
    if include_all and (current == ALL or current == [ALL]):
        return VariableValue(variable["name"], ALL, is_all=True, **common)
    wanted = current if isinstance(current, list) else [current]
    chosen = [v for v in wanted if v in options] or options[:1]
    return VariableValue(variable["name"], chosen if multi else chosen[0], **common)


def custom_options(query: str) -> list[tuple[str, str]]:
    """A custom variable's ``text : value`` (or plain ``value``) list, comma-separated."""
    pairs = []
    for item in re.split(r"(?<!\\),", query):
        item = item.strip()
        if not item:
            continue
        if " : " in item:
            text, value = item.split(" : ", 1)
            pairs.append((text.strip(), value.strip()))
        else:
            pairs.append((item, item))
    return pairs


# ------------------------------------------------------------------ SQL macros
_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")


def _interval_seconds(text: str) -> float:
    return parse_duration_ms(text.strip().strip("'")) / 1000


def _g(number: float) -> str:
    """Go's %v of a float64 of whole seconds (300, not 300.0)."""
    return str(int(number)) if float(number).is_integer() else repr(number)


def sql_global_substitutions(sql: str, time_range: TimeRange, interval_ms: int) -> str:
    sql = sql.replace("$__interval_ms", str(interval_ms))
    sql = sql.replace("$__interval", format_interval(interval_ms))
    sql = sql.replace("$__unixEpochFrom()", str(int(time_range.start.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(time_range.end.timestamp())))
    return sql


def postgres_macros(sql: str, time_range: TimeRange) -> str:
    start, end = time_range.start, time_range.end

    def evaluate(name: str, args: list[str]) -> str:
        if name == "__time":
            return f'{args[0]} AS "time"'
        if name == "__timeEpoch":
            return f'extract(epoch from {args[0]}) as "time"'
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{rfc3339(start)}' AND '{rfc3339(end)}'"
        if name == "__timeFrom":
            return f"'{rfc3339(start)}'"
        if name == "__timeTo":
            return f"'{rfc3339(end)}'"
        if name == "__timeGroup":
            if len(args) < 2:
                raise ValueError(f"macro {name} needs time column and interval and optional fill value")
            seconds = _g(_interval_seconds(args[1]))
            return f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
        if name == "__timeGroupAlias":
            return evaluate("__timeGroup", args) + ' AS "time"'
        if name == "__unixEpochFilter":
            s, e = int(start.timestamp()), int(end.timestamp())
            return f"{args[0]} >= {s} AND {args[0]} <= {e}"
        if name == "__unixEpochNanoFilter":
            s, e = int(start.timestamp()) * 10**9, int(end.timestamp()) * 10**9
            return f"{args[0]} >= {s} AND {args[0]} <= {e}"
        if name == "__unixEpochNanoFrom":
            return str(int(start.timestamp()) * 10**9)
        if name == "__unixEpochNanoTo":
            return str(int(end.timestamp()) * 10**9)
        if name == "__unixEpochGroup":
            if len(args) < 2:
                raise ValueError(f"macro {name} needs time column and interval and optional fill value")
            seconds = _g(_interval_seconds(args[1]))
            return f"floor(({args[0]})/{seconds})*{seconds}"
        if name == "__unixEpochGroupAlias":
            return evaluate("__unixEpochGroup", args) + ' AS "time"'
        raise ValueError(f"unknown macro {name!r}")

    def substitute(match):
        name = match.group(1)
        # Grafana: "$__timeGroup(...)," (a comma right after) means the pre-5.3 aliasing form.
        if name == "__timeGroup":
            index = sql.find(match.group(0))
            after = index + len(match.group(0))
            if index >= 0 and after < len(sql) and sql[after] == ",":
                name = "__timeGroupAlias"
        args = [a.strip(" ") for a in match.group(2).split(",")]
        return evaluate(name, args)

    return _MACRO.sub(substitute, sql)


def expand_sql(sql: str, variables: dict[str, VariableValue], time_range: TimeRange, interval_ms: int) -> str:
    """What reaches PostgreSQL: variables (front end), then global substitutions and the
    PostgreSQL macros (back end)."""
    scoped = {**builtin_variables(time_range, interval_ms), **variables}
    text = replace_variables(sql, scoped, sql_interpolate)
    text = sql_global_substitutions(text, time_range, interval_ms)
    return postgres_macros(text, time_range)


def expand_promql(expr: str, variables: dict[str, VariableValue], time_range: TimeRange,
                  interval_ms: int, scrape_interval_ms: int) -> str:
    rate_ms = max(interval_ms + scrape_interval_ms, 4 * scrape_interval_ms)
    range_s = round(time_range.ms / 1000)
    builtins = {
        "__interval": format_interval(interval_ms),
        "__interval_ms": str(interval_ms),
        "__rate_interval": format_interval(rate_ms) if rate_ms % 1000 == 0 else f"{rate_ms}ms",
        "__rate_interval_ms": str(rate_ms),
        "__range": f"{range_s}s",
        "__range_s": str(range_s),
        "__range_ms": str(time_range.ms),
    }
    scoped = {name: VariableValue(name, value) for name, value in builtins.items()}
    scoped.update(variables)
    return replace_variables(expr, scoped, prom_interpolate)


# ------------------------------------------------------------------ panel columns
def required_columns(panel: dict, target: dict) -> set[str]:
    """Columns the panel's options name explicitly."""
    needed = set()
    options = panel.get("options", {})
    for layer in options.get("layers", []):
        location = layer.get("location", {})
        if location.get("mode") == "coords":
            needed |= {location["latitude"], location["longitude"]}
        color = layer.get("config", {}).get("style", {}).get("color", {}).get("field")
        if color:
            needed.add(color)
    for series in options.get("series", []):
        needed |= {series[k] for k in ("x", "y") if series.get(k)}
    if options.get("xField"):
        needed.add(options["xField"])
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        matcher = override.get("matcher", {})
        if matcher.get("id") == "byName":
            needed.add(matcher["options"])
    return needed
