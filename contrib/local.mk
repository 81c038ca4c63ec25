# A Grafana dashboard over the metrics of sendas-milter(8), METRICS
# (checked against a real scrape by tests/integration/grafana-dashboard.sh).
grafanadir = $(pkgdatadir)/grafana
dist_grafana_DATA = contrib/grafana/sendas-milter.json
