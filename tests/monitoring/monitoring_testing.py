"""Helpers shared by the monitoring tests: spawned processes, loopback HTTP,
the Prometheus text format, PromQL metric names and the dashboard's queries.

Every address here is on 127.0.0.1.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

LOOPBACK = "127.0.0.1"

# PromQL functions, aggregation operators and keywords; promtool 2.42's
# parser accepts every function here. An identifier in these sets is never
# a metric name.
PROMQL_FUNCTIONS = frozenset("""
    abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes
    clamp clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year
    days_in_month deg delta deriv exp floor histogram_count histogram_fraction
    histogram_quantile histogram_sum holt_winters hour idelta increase irate label_join
    label_replace last_over_time ln log10 log2 max_over_time min_over_time minute month pi
    predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin
    sinh sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time
    timestamp vector year
""".split())
PROMQL_AGGREGATIONS = frozenset(
    "avg bottomk count count_values group max min quantile stddev stdvar sum topk".split())
PROMQL_KEYWORDS = frozenset(
    "and atan2 bool by end group_left group_right ignoring inf nan offset on or start "
    "unless without".split())

# Series that Prometheus itself writes for every target and alert.
PROMETHEUS_SERIES = frozenset([
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS",
    "ALERTS_FOR_STATE"
])

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_LABEL_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
# Numbers, durations (5m, 1h30m) and identifiers, in that order, so that the
# "m" of "5m" is not read as a name.
_TOKEN = re.compile(
    r"(?P<number>0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)"
    r"|(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)")


def promql_metric_names(expression):
    """Returns the metric names that a PromQL expression reads.

    Raises ValueError for a call to a function that PromQL does not have.
    Grafana variables ($job, ${datasource}, $__rate_interval) are removed
    first, as are strings, label matchers, ranges and grouping clauses.
    """
    text = _STRING.sub(" ", expression)
    text = _GRAFANA_VARIABLE.sub(" ", text)
    text = _LABEL_MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _TOKEN.finditer(text):
        name = match.group("name")
        if name is None:
            continue
        if name in PROMQL_FUNCTIONS or name in PROMQL_AGGREGATIONS or name in PROMQL_KEYWORDS:
            continue
        if text[match.end():].lstrip().startswith("("):
            raise ValueError(f"unknown PromQL function {name!r} in {expression!r}")
        names.add(name)
    return names


def exposed_series_names(exposition):
    """Returns the series names a Prometheus text exposition can produce:
    every sample name, and the _bucket, _sum and _count series of each
    histogram family, also those that have no sample yet."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            if kind == "histogram":
                names.update(family + suffix for suffix in ("_bucket", "_sum", "_count"))
            elif kind == "summary":
                names.update([family, family + "_sum", family + "_count"])
            else:
                names.add(family)
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def exposed_families(exposition):
    """Returns {family name: type} from the # TYPE lines of an exposition."""
    families = {}
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            families[family] = kind
    return families


def rule_groups(rule_files):
    """Returns every rule (a dict with record or alert, and expr) of the
    given Prometheus rule files."""
    rules = []
    for path in rule_files:
        with open(path, encoding="utf-8") as file:
            for group in yaml.safe_load(file)["groups"]:
                rules.extend(group["rules"])
    return rules


def dashboard_panels(dashboard):
    """Yields every panel of a Grafana dashboard, rows' nested panels too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard):
    """Returns (where, PromQL expression) for every panel target and every
    query variable of a Grafana dashboard. A label_values(SELECTOR, LABEL)
    variable contributes its selector."""
    queries = []
    for panel in dashboard_panels(dashboard):
        for target in panel.get("targets", []):
            queries.append((f"panel {panel['title']!r} target {target.get('refId')}",
                            target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable["query"]
        if isinstance(query, dict):
            query = query["query"]
        match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", query)
        queries.append((f"variable {variable['name']!r}", match.group(1) if match else query))
    return queries


def free_loopback_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def http_get(port, path, timeout=5):
    """GETs http://127.0.0.1:PORT/PATH and returns (status, body text)."""
    url = f"http://{LOOPBACK}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_until(condition, timeout, description, interval=0.2):
    """Polls CONDITION until it returns a true value, which it returns.
    Raises TimeoutError naming DESCRIPTION after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (OSError, ValueError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {description}")
        time.sleep(interval)


class Process:
    """A spawned child process whose output goes to a log file. stop()
    sends SIGTERM, then SIGKILL after a grace period, and always reaps it."""

    def __init__(self, arguments, log_path):
        self.arguments = arguments
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    def running(self):
        return self.process.poll() is None

    def log_tail(self, lines=30):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def stop(self, grace_seconds=15):
        """Stops the process and returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class SynesthesiaServer(Process):
    """synesthesia-server on 127.0.0.1 with free gRPC and metrics ports."""

    def __init__(self, binary, model, directory):
        self.port_file = os.path.join(directory, "server-ports")
        super().__init__([
            binary, f"--model={model}", f"--listen={LOOPBACK}:0",
            f"--metrics_address={LOOPBACK}:0", f"--port_file={self.port_file}"
        ], os.path.join(directory, "server.log"))
        ports = wait_until(self._read_ports, 60, "the server's port file")
        self.grpc_port, self.metrics_port = ports
        # The model info is set once the model is loaded and warmed up.
        wait_until(lambda: "synesthesia_model_info{" in self.scrape(), 120,
                   "the server to load its model")

    def _read_ports(self):
        if not self.running():
            raise RuntimeError(f"synesthesia-server exited early:\n{self.log_tail()}")
        with open(self.port_file, encoding="utf-8") as file:
            lines = file.read().split()
        return (int(lines[0]), int(lines[1])) if len(lines) == 2 else None

    def scrape(self):
        status, body = http_get(self.metrics_port, "/metrics")
        if status != 200:
            raise ValueError(f"/metrics returned HTTP {status}")
        return body


class PrometheusServer(Process):
    """Debian's prometheus on a free 127.0.0.1 port, with its storage in
    DIRECTORY and the configuration text CONFIG."""

    # Another process may take the free port before Prometheus binds it.
    START_ATTEMPTS = 3

    def __init__(self, binary, config, directory):
        config_path = os.path.join(directory, "prometheus.yml")
        with open(config_path, "w", encoding="utf-8") as file:
            file.write(config)
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self.port = free_loopback_port()
            super().__init__([
                binary, f"--config.file={config_path}",
                f"--storage.tsdb.path={os.path.join(directory, 'prometheus-data')}",
                f"--web.listen-address={LOOPBACK}:{self.port}", "--log.level=warn"
            ], os.path.join(directory, "prometheus.log"))
            try:
                wait_until(self._ready, 60, "Prometheus to be ready")
                return
            except RuntimeError:
                if attempt == self.START_ATTEMPTS or "address already in use" not in self.log_tail():
                    raise

    def _ready(self):
        if not self.running():
            raise RuntimeError(f"prometheus exited early:\n{self.log_tail()}")
        return http_get(self.port, "/-/ready")[0] == 200

    def api(self, path, **parameters):
        """GETs /api/v1/PATH and returns its data, raising on an error."""
        query = urllib.parse.urlencode(parameters)
        status, body = http_get(self.port, f"/api/v1/{path}?{query}", timeout=10)
        reply = json.loads(body)
        if status != 200 or reply.get("status") != "success":
            raise ValueError(f"/api/v1/{path} {parameters}: HTTP {status}: {body[:500]}")
        return reply["data"]

    def query(self, expression):
        """Evaluates EXPRESSION now and returns the instant vector as a list
        of (labels, value)."""
        data = self.api("query", query=expression)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(series["metric"], float(series["value"][1])) for series in data["result"]]

    def value(self, expression):
        """The single value of EXPRESSION, or None when it has no sample."""
        result = self.query(expression)
        if len(result) > 1:
            raise ValueError(f"{expression} has {len(result)} series, expected one")
        return result[0][1] if result else None
