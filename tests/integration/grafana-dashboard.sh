#!/usr/bin/env bash
# contrib/grafana/sendas-milter.json queries only what the daemon serves:
# every metric name in its queries (panels and variables) is documented in
# sendas-milter(8), METRICS, and appears as a sample in a real /metrics
# scrape of a daemon that has seen traffic (LDAP, Redis, accepts, rejects).
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
perl -MJSON::PP -e 1 2>/dev/null || skip "perl's JSON::PP missing (install perl)"
dashboard=${top_srcdir:-$SENDAS_LIB_DIR/../..}/contrib/grafana/sendas-milter.json
page8=${top_builddir:-$SENDAS_LIB_DIR/../..}/man/sendas-milter.8
[ -r "$page8" ] || page8=${top_srcdir:-$SENDAS_LIB_DIR/../..}/man/sendas-milter.8.in
[ -r "$dashboard" ] || die "$dashboard not readable"

# Every query text of the dashboard (expr, variable query and definition),
# after checking it is JSON that Grafana can import.
queries=$(perl -MJSON::PP -e '
    local $/; my $d = JSON::PP->new->decode(<STDIN>);
    die "no panels\n" unless ref $d->{panels} eq "ARRAY" && @{$d->{panels}};
    die "no datasource input\n" unless grep { $_->{pluginId} eq "prometheus" } @{$d->{__inputs} || []};
    sub walk { my $n = shift;
        if (ref $n eq "HASH") { for my $k (sort keys %$n) {
            print "$n->{$k}\n" if ($k eq "expr" || $k eq "definition") && !ref $n->{$k};
            print "$n->{$k}{query}\n" if $k eq "query" && ref $n->{$k} eq "HASH";
            walk($n->{$k}) } }
        elsif (ref $n eq "ARRAY") { walk($_) for @$n } }
    walk($d);' <"$dashboard") || fail "$dashboard is no importable dashboard"
names=$(grep -o 'sendas_milter_[a-z0-9_]*' <<<"$queries" | sort -u)
[ "$(grep -c . <<<"$names")" -ge 10 ] || fail "read only these metric names from the dashboard: $names"

# Documented: the family name (histograms without _bucket/_count/_sum).
for name in $names; do
    family=$(sed -E 's/_(bucket|count|sum)$//' <<<"$name")
    grep -q "$family" "$page8" || fail "$name: $family is not documented in sendas-milter(8)"
done

start_slapd
start_redis
port=$(pick_port)
start_milter "metrics.listen = 127.0.0.1:$port" "redis.address = $REDIS_ADDRESS" "cache.local_ttl = 0"
[ "$(probe_result alice support@example.com Q1)" = "result accept" ] || fail "alice as support@ not accepted"
[ "$(probe_result alice support@example.com Q2)" = "result accept" ] || fail "alice as support@ again"
[[ $(probe_result eve support@example.com Q3) == "result replycode 550 "* ]] || fail "eve as support@ not rejected"
page=$(metrics_scrape "$port")
grep -q '^HTTP/1.[01] 200' <<<"$page" || fail "metrics endpoint did not answer 200: $(head -3 <<<"$page")"

served() {  # NAME: a sample line of NAME in the scrape
    grep -qE "^$1(\{| )" <<<"$page"
}
# The control: a name the daemon does not serve is not found.
! served sendas_milter_no_such_metric_total || fail "the scrape check finds a metric that does not exist"
missing=
for name in $names; do served "$name" || missing="$missing $name"; done
[ -z "$missing" ] || fail "queried by the dashboard but not in the scrape:$missing
scrape:
$(grep '^sendas_milter_' <<<"$page" | cut -d' ' -f1 | sort -u)"
stop_milter || fail "daemon did not stop cleanly"
echo "PASS: $(grep -c . <<<"$names") metric names of the dashboard are documented and served"
