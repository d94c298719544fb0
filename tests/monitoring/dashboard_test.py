"""Checks of the Grafana dashboard, its provisioning, the rule files and
docs/metrics.md against the metrics a real server exposes.

    dashboard_test.py --server=build/server/synesthesia-server \
        --model=tests/data/distilbert-tiny --source=.

The series that exist are read from the /metrics page of a
synesthesia-server started on 127.0.0.1, plus the recording rules and the
series Prometheus writes itself (up, ALERTS, ...).
"""

import argparse
import glob
import json
import os
import re
import sys
import tempfile
import unittest

import yaml

import monitoring_testing as mt

ARGUMENTS = None

# Grafana's dashboard grid is 24 columns wide.
GRID_COLUMNS = 24


class DashboardTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        source = ARGUMENTS.source
        cls.dashboard_path = os.path.join(source, "monitoring/grafana/dashboards/synesthesia.json")
        cls.rule_files = sorted(glob.glob(os.path.join(source, "monitoring/rules/*.yml")))
        cls.docs_path = os.path.join(source, "docs/metrics.md")
        with open(cls.dashboard_path, encoding="utf-8") as file:
            cls.dashboard = json.load(file)
        cls.rules = mt.rule_groups(cls.rule_files)
        cls.recorded = {rule["record"] for rule in cls.rules if "record" in rule}

        with tempfile.TemporaryDirectory(prefix="synesthesia-dashboard-test-") as directory:
            server = mt.SynesthesiaServer(ARGUMENTS.server, ARGUMENTS.model, directory)
            try:
                cls.exposition = server.scrape()
            finally:
                server.stop()
        cls.known_series = (mt.exposed_series_names(cls.exposition) | cls.recorded |
                            mt.PROMETHEUS_SERIES)

    def test_rule_files_found(self):
        self.assertGreaterEqual(len(self.rule_files), 2, "no rule files under monitoring/rules")
        self.assertTrue(self.recorded, "no recording rules")

    def test_panel_ids_unique(self):
        ids = [panel["id"] for panel in mt.dashboard_panels(self.dashboard)]
        self.assertEqual(len(ids), len(set(ids)), f"duplicate panel ids in {sorted(ids)}")

    def test_panels_fit_grid(self):
        for panel in mt.dashboard_panels(self.dashboard):
            grid = panel["gridPos"]
            with self.subTest(panel=panel["title"]):
                self.assertGreaterEqual(grid["x"], 0)
                self.assertLessEqual(grid["x"] + grid["w"], GRID_COLUMNS)
                self.assertGreater(grid["h"], 0)

    def test_panels_query_templated_datasource(self):
        variables = {variable["name"]: variable
                     for variable in self.dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for panel in mt.dashboard_panels(self.dashboard):
            if panel["type"] == "row":
                continue
            with self.subTest(panel=panel["title"]):
                self.assertTrue(panel.get("targets"), "panel has no query")
                self.assertEqual(panel["datasource"]["uid"], "${datasource}")
                for target in panel["targets"]:
                    self.assertEqual(target["datasource"]["uid"], "${datasource}")
                    self.assertTrue(target["expr"].strip(), "empty expression")

    def test_required_panels_present(self):
        titles = {panel["title"] for panel in mt.dashboard_panels(self.dashboard)}
        for title in ["Requests by code", "Latency quantiles", "Batch size", "Batch tokens",
                      "Queue depth", "Tokens/s", "Padding share", "Memory"]:
            self.assertIn(title, titles)
        heatmaps = {panel["title"] for panel in mt.dashboard_panels(self.dashboard)
                    if panel["type"] == "heatmap"}
        self.assertLessEqual({"Batch size", "Batch tokens"}, heatmaps)

    def test_dashboard_queries_reference_existing_series(self):
        queries = mt.dashboard_queries(self.dashboard)
        self.assertGreater(len(queries), 20)
        for where, expression in queries:
            with self.subTest(query=where):
                names = mt.promql_metric_names(expression)
                self.assertTrue(names, f"{expression} reads no metric")
                self.assertEqual(names - self.known_series, set(),
                                 f"{expression} reads series that do not exist")

    def test_rules_reference_existing_series(self):
        for rule in self.rules:
            name = rule.get("record") or rule.get("alert")
            with self.subTest(rule=name):
                names = mt.promql_metric_names(rule["expr"])
                self.assertEqual(names - self.known_series, set(),
                                 f"{rule['expr']} reads series that do not exist")

    def test_alerts_have_runbooks(self):
        alerts = [rule for rule in self.rules if "alert" in rule]
        self.assertGreaterEqual(len(alerts), 4)
        for alert in alerts:
            with self.subTest(alert=alert["alert"]):
                self.assertIn(alert["labels"]["severity"], ("critical", "warning"))
                for annotation in ("summary", "description", "runbook"):
                    self.assertTrue(alert["annotations"].get(annotation, "").strip(),
                                    f"missing annotation {annotation}")

    def test_docs_describe_every_metric_and_alert(self):
        with open(self.docs_path, encoding="utf-8") as file:
            documented = set(re.findall(r"`([A-Za-z_:][A-Za-z0-9_:]*)`", file.read()))
        families = mt.exposed_families(self.exposition)
        self.assertIn("synesthesia_max_queued_tokens", families)
        self.assertEqual(set(families) - documented, set(), "metrics missing from the docs")
        rule_names = {rule.get("record") or rule.get("alert") for rule in self.rules}
        self.assertEqual(rule_names - documented, set(), "rules missing from the docs")

    def test_provisioning_points_at_dashboard_and_prometheus(self):
        provisioning = os.path.join(ARGUMENTS.source, "monitoring/grafana/provisioning")
        with open(os.path.join(provisioning, "datasources/prometheus.yml"), encoding="utf-8") as file:
            datasources = yaml.safe_load(file)["datasources"]
        self.assertEqual([source["type"] for source in datasources], ["prometheus"])
        self.assertTrue(datasources[0]["isDefault"])
        with open(os.path.join(provisioning, "dashboards/synesthesia.yml"), encoding="utf-8") as file:
            providers = yaml.safe_load(file)["providers"]
        self.assertEqual(len(providers), 1)
        self.assertEqual(providers[0]["type"], "file")
        self.assertTrue(providers[0]["options"]["path"].startswith("/"))


class PromqlMetricNamesTest(unittest.TestCase):
    """The name extraction that the checks above rely on."""

    def test_names_outside_matchers_ranges_and_grouping(self):
        expression = ('sum by (le, job) (rate(a_bucket{code=~"OK|x", le!="1"}[5m] offset 1h))'
                      ' / on (job) group_left (version) b_info * 1e3 > bool 0.5')
        self.assertEqual(mt.promql_metric_names(expression), {"a_bucket", "b_info"})

    def test_recording_rule_names_with_colons(self):
        self.assertEqual(
            mt.promql_metric_names('level:c:rate5m{quantile="0.99"} > 0.5 and d'),
            {"level:c:rate5m", "d"})

    def test_grafana_variables_ignored(self):
        self.assertEqual(
            mt.promql_metric_names('rate(e{job="$job", instance=~"${instance}"}[$__rate_interval])'),
            {"e"})

    def test_unknown_function_rejected(self):
        with self.assertRaises(ValueError):
            mt.promql_metric_names("histogram_quantil(0.99, f)")

    def test_label_values_variable_gives_selector(self):
        dashboard = {"templating": {"list": [
            {"type": "query", "name": "v", "query": {"query": 'label_values(g{job="j"}, instance)'}}
        ]}}
        self.assertEqual(mt.dashboard_queries(dashboard), [("variable 'v'", 'g{job="j"}')])


def main():
    global ARGUMENTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="path of synesthesia-server")
    parser.add_argument("--model", required=True, help="model directory for the server")
    parser.add_argument("--source", required=True, help="repository root")
    ARGUMENTS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
