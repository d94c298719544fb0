"""Scrapes a real synesthesia-server with Debian's Prometheus and checks the
series, the recording rules, the alerts and the dashboard's queries.

    prometheus_test.py --server=build/server/synesthesia-server \
        --load-driver=build/tests/monitoring/monitoring_load_driver \
        [--cli=build/client/cli/synesthesia] \
        --model=tests/data/distilbert-tiny --source=. \
        --prometheus=/usr/bin/prometheus --promtool=/usr/bin/promtool

The server, Prometheus and the load generators run on 127.0.0.1 only, with
Prometheus storing into a temporary directory and scraping and evaluating
every second. Load comes from monitoring_load_driver (every RPC method and
an INVALID_ARGUMENT call) and, when --cli is given, from `synesthesia bench`
too. Every process is stopped when a test class ends, also on failure.
"""

import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

import monitoring_testing as mt

ARGUMENTS = None

# Rounds of the load driver's call mix and requests of `synesthesia bench`.
DRIVER_ROUNDS = 24
BENCH_REQUESTS = 48
# Every wait is bounded so that a broken part fails the test instead of
# hanging ctest.
WAIT_SECONDS = 60
# Stands in for Grafana's $__rate_interval when the dashboard's queries run
# here: with one scrape per second it spans 60 samples.
RATE_INTERVAL = "1m"


def prometheus_config(metrics_port):
    """The committed monitoring/prometheus.yml, scraping the test server at
    METRICS_PORT and evaluating every second, with absolute rule paths."""
    source = os.path.abspath(ARGUMENTS.source)
    with open(os.path.join(source, "monitoring/prometheus.yml"), encoding="utf-8") as file:
        config = yaml.safe_load(file)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [os.path.join(source, "monitoring", path) for path in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [f"{mt.LOOPBACK}:{metrics_port}"]}]
    return yaml.safe_dump(config)


def rule_names_in_files():
    files = glob.glob(os.path.join(ARGUMENTS.source, "monitoring/rules/*.yml"))
    return {rule.get("record") or rule.get("alert") for rule in mt.rule_groups(files)}


class ServerAndPrometheus(unittest.TestCase):
    """Starts a server and a Prometheus scraping it; stops both at the end."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory(prefix="synesthesia-prometheus-test-")
        cls.server = None
        cls.prometheus = None
        try:
            cls.server = mt.SynesthesiaServer(ARGUMENTS.server, ARGUMENTS.model,
                                              cls.directory.name)
            cls.prometheus = mt.PrometheusServer(ARGUMENTS.prometheus,
                                                 prometheus_config(cls.server.metrics_port),
                                                 cls.directory.name)
            cls.instance = f"{mt.LOOPBACK}:{cls.server.metrics_port}"
            mt.wait_until(lambda: cls.prometheus.value('up{job="synesthesia"}') == 1,
                          WAIT_SECONDS, "the first successful scrape")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.prometheus is not None:
            cls.prometheus.stop()
        if cls.server is not None:
            cls.server.stop()
        cls.directory.cleanup()


class PrometheusScrapeTest(ServerAndPrometheus):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls._generate_load()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _generate_load(cls):
        target = f"{mt.LOOPBACK}:{cls.server.grpc_port}"
        driver = subprocess.run([
            ARGUMENTS.load_driver, f"--target={target}", f"--rounds={DRIVER_ROUNDS}",
            "--concurrency=4"
        ], capture_output=True, text=True, timeout=300, check=False)
        if driver.returncode != 0:
            raise AssertionError(f"load driver failed ({driver.returncode}): "
                                 f"{driver.stdout}{driver.stderr}")
        cls.driver = json.loads(driver.stdout)

        # Colorize calls that returned OK, as the client counted them.
        cls.bench_ok = 0
        if ARGUMENTS.cli:
            bench = subprocess.run([
                ARGUMENTS.cli, "bench", f"--server={target}", f"--requests={BENCH_REQUESTS}",
                "--concurrency=4", "--json"
            ], capture_output=True, text=True, timeout=300, check=False)
            if bench.returncode != 0:
                raise AssertionError(f"synesthesia bench failed ({bench.returncode}): "
                                     f"{bench.stdout}{bench.stderr}")
            report = json.loads(bench.stdout)
            if report["ok"] != BENCH_REQUESTS or report["errors"] != 0:
                raise AssertionError(f"synesthesia bench: {report}")
            cls.bench_ok = report["ok"]

        cls.total_calls = cls.bench_ok + sum(
            count for codes in cls.driver["calls"].values() for count in codes.values())
        mt.wait_until(
            lambda: cls.prometheus.value('sum(synesthesia_requests_total{job="synesthesia"})') ==
            cls.total_calls, WAIT_SECONDS, f"Prometheus to scrape {cls.total_calls} requests")
        # Each recording rule has evaluated at least once on the final data.
        recorded = [name for name in rule_names_in_files() if ":" in name]
        mt.wait_until(lambda: all(cls.prometheus.query(name) for name in recorded), WAIT_SECONDS,
                      "every recording rule to produce a series")
        mt.wait_until(lambda: cls.prometheus.value('job:synesthesia_requests:rate5m') > 0,
                      WAIT_SECONDS, "the request rate to include the load")

    def value(self, expression):
        """The single value of EXPRESSION; fails the test when it has none."""
        value = self.prometheus.value(expression)
        self.assertIsNotNone(value, f"{expression} has no sample")
        return value

    def expected_calls(self, method, code):
        expected = self.driver["calls"].get(method, {}).get(code, 0)
        if method == "Colorize" and code == "OK":
            expected += self.bench_ok
        return expected

    def test_target_healthy(self):
        targets = self.prometheus.api("targets", state="active")["activeTargets"]
        self.assertEqual(len(targets), 1)
        self.assertEqual(targets[0]["labels"]["job"], "synesthesia")
        self.assertEqual(targets[0]["labels"]["instance"], self.instance)
        self.assertEqual(targets[0]["health"], "up", targets[0].get("lastError"))

    def test_exposition_passes_promtool_lint(self):
        lint = subprocess.run([ARGUMENTS.promtool, "check", "metrics"],
                              input=self.server.scrape(), capture_output=True, text=True,
                              timeout=60, check=False)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)

    def test_request_counts_match_calls(self):
        self.assertGreater(self.expected_calls("Colorize", "OK"), 0)
        self.assertGreater(self.expected_calls("Colorize", "INVALID_ARGUMENT"), 0)
        for method in ("Colorize", "ColorizeBatch", "ColorizeStream", "GetModelInfo"):
            for code in ("OK", "INVALID_ARGUMENT"):
                with self.subTest(method=method, code=code):
                    self.assertEqual(
                        self.value(f'synesthesia_requests_total{{method="{method}", code="{code}"}}'),
                        self.expected_calls(method, code))
            with self.subTest(method=method, histogram="duration"):
                calls = sum(self.driver["calls"].get(method, {}).values())
                if method == "Colorize":
                    calls += self.bench_ok
                self.assertEqual(
                    self.value(f'synesthesia_request_duration_seconds_count{{method="{method}"}}'),
                    calls)
        self.assertEqual(self.value("sum(synesthesia_requests_total)"), self.total_calls)

    def test_every_code_series_exists_before_use(self):
        # 4 methods x 17 gRPC codes, most of them still 0.
        self.assertEqual(self.value("count(synesthesia_requests_total)"), 4 * 17)
        self.assertEqual(self.value('synesthesia_requests_total{method="GetModelInfo", code="INTERNAL"}'), 0)

    def test_histograms_observed_batches(self):
        batches = self.value("synesthesia_batches_total")
        self.assertGreater(batches, 0)
        self.assertEqual(self.value("synesthesia_batch_size_count"), batches)
        self.assertEqual(self.value("synesthesia_batch_tokens_count"), batches)
        self.assertEqual(self.value("synesthesia_inference_duration_seconds_count"), batches)
        self.assertEqual(self.value('synesthesia_batch_size_bucket{le="+Inf"}'), batches)

        # Every Colorize text and batch text is one sequence; stream deltas
        # add more.
        sequences = self.value("synesthesia_batch_size_sum")
        self.assertGreaterEqual(sequences,
                                self.expected_calls("Colorize", "OK") + self.driver["batch_texts"])
        self.assertEqual(self.value("synesthesia_queue_wait_seconds_count"), sequences)

        colourings = self.value("synesthesia_request_tokens_count")
        self.assertGreaterEqual(colourings,
                                self.expected_calls("Colorize", "OK") + self.driver["batch_texts"])
        self.assertEqual(self.value("synesthesia_tokenize_duration_seconds_count"), colourings)
        tokens = self.value("synesthesia_tokens_total")
        self.assertGreater(tokens, 0)
        self.assertEqual(self.value("synesthesia_request_tokens_sum"), tokens)
        # The encoder also reads [CLS], [SEP] and the earlier text that each
        # stream delta is encoded with.
        self.assertGreater(self.value('synesthesia_inference_tokens_total{kind="real"}'), tokens)
        self.assertGreaterEqual(self.value('synesthesia_inference_tokens_total{kind="padding"}'), 0)
        self.assertEqual(self.value("synesthesia_batch_tokens_sum"),
                         self.value("sum(synesthesia_inference_tokens_total)"))

    def test_gauges_settle_after_load(self):
        self.assertEqual(self.value("synesthesia_queued_tokens"), 0)
        self.assertEqual(self.value("synesthesia_scheduler_pending_calls"), 0)
        self.assertEqual(self.value("synesthesia_in_flight_requests"), 0)
        self.assertEqual(self.value("synesthesia_active_streams"), 0)
        # The server's default --max_queued_tokens.
        self.assertEqual(self.value("synesthesia_max_queued_tokens"), 65536)
        self.assertEqual(self.value("synesthesia_stream_messages_total"),
                         self.driver["stream_messages"])
        self.assertEqual(self.value("synesthesia_rejected_requests_total"), 0)
        self.assertEqual(self.value('synesthesia_model_info{model="distilbert-tiny"}'), 1)
        self.assertEqual(self.value("count(synesthesia_build_info)"), 1)
        self.assertGreater(self.value("process_resident_memory_bytes"), 0)
        self.assertGreater(self.value("process_cpu_seconds_total"), 0)

    def test_rules_loaded_and_healthy(self):
        groups = self.prometheus.api("rules")["groups"]
        loaded = set()
        for group in groups:
            for rule in group["rules"]:
                loaded.add(rule["name"])
                with self.subTest(rule=rule["name"]):
                    self.assertEqual(rule["health"], "ok", rule.get("lastError"))
        self.assertEqual(loaded, rule_names_in_files())

    def test_recording_rules_evaluate(self):
        self.assertGreater(self.value("job:synesthesia_requests:rate5m"), 0)
        self.assertGreater(
            self.value('job_method_code:synesthesia_requests:rate5m{method="Colorize", code="OK"}'), 0)
        # INVALID_ARGUMENT is the client's error, so the server's ratio is 0.
        self.assertEqual(self.value("job:synesthesia_request_errors:ratio_rate5m"), 0)
        for quantile in ("0.5", "0.99"):
            with self.subTest(quantile=quantile):
                latency = self.value(
                    "job_method:synesthesia_request_duration_seconds:quantile_rate5m"
                    f'{{method="Colorize", quantile="{quantile}"}}')
                self.assertGreater(latency, 0)
                self.assertLessEqual(latency, 10)
        self.assertEqual(
            self.prometheus.query('job_method:synesthesia_request_duration_seconds:quantile_rate5m'
                                  '{method="ColorizeStream"}'), [])
        self.assertGreaterEqual(self.value("job:synesthesia_batch_size:mean5m"), 1)
        self.assertGreater(self.value("job:synesthesia_tokens:rate5m"), 0)
        self.assertGreater(self.value('job_kind:synesthesia_inference_tokens:rate5m{kind="real"}'), 0)
        padding = self.value("job:synesthesia_inference_padding_tokens:ratio_rate5m")
        self.assertGreaterEqual(padding, 0)
        self.assertLess(padding, 1)
        self.assertEqual(self.value("instance:synesthesia_queue_saturation:ratio"), 0)

    def test_no_alert_fires(self):
        alerts = self.prometheus.api("alerts")["alerts"]
        self.assertEqual([alert for alert in alerts if alert["state"] == "firing"], [])
        # On a slow or busy machine the tiny model's p99 may pass the
        # objective; nothing else may even be pending.
        active = {alert["labels"]["alertname"] for alert in alerts}
        self.assertLessEqual(active, {"SynesthesiaHighLatency"})

    def test_dashboard_queries_return_data(self):
        path = os.path.join(ARGUMENTS.source, "monitoring/grafana/dashboards/synesthesia.json")
        with open(path, encoding="utf-8") as file:
            dashboard = json.load(file)
        for where, expression in mt.dashboard_queries(dashboard):
            query = (expression.replace("$__rate_interval", RATE_INTERVAL)
                     .replace("$job", "synesthesia").replace("$instance", ".*"))
            with self.subTest(query=where):
                result = self.prometheus.query(query)
                self.assertTrue(result, f"{query} returned no series")
                # Quantiles of an idle window are NaN; everything else is a
                # number.
                if "histogram_quantile" not in query and "quantile_rate5m" not in query:
                    for labels, value in result:
                        self.assertFalse(math.isnan(value), f"{query} {labels} is NaN")


class InstanceDownTest(ServerAndPrometheus):

    def test_instance_down_alert_pending_after_server_stops(self):
        self.assertEqual(self.server.stop(), 0, self.server.log_tail())
        mt.wait_until(lambda: self.prometheus.value('up{job="synesthesia"}') == 0, WAIT_SECONDS,
                      "a failed scrape")

        def pending_alert():
            for alert in self.prometheus.api("alerts")["alerts"]:
                if alert["labels"]["alertname"] == "SynesthesiaInstanceDown":
                    return alert
            return None

        alert = mt.wait_until(pending_alert, WAIT_SECONDS, "SynesthesiaInstanceDown")
        # `for: 2m` has not passed yet.
        self.assertEqual(alert["state"], "pending")
        self.assertEqual(alert["labels"]["instance"], self.instance)
        self.assertEqual(alert["labels"]["severity"], "critical")
        self.assertIn(self.instance, alert["annotations"]["summary"])
        self.assertIn(f"http://{self.instance}/metrics", alert["annotations"]["runbook"])


def main():
    global ARGUMENTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="path of synesthesia-server")
    parser.add_argument("--load-driver", required=True, help="path of monitoring_load_driver")
    parser.add_argument("--cli", default="", help="path of the synesthesia CLI, for its bench")
    parser.add_argument("--model", required=True, help="model directory for the server")
    parser.add_argument("--source", required=True, help="repository root")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus")
    parser.add_argument("--promtool", default="/usr/bin/promtool")
    ARGUMENTS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
