# shellcheck shell=bash
# The tables of bench/scale: its per-size children each leave ROWS/N.row
# (KEY<TAB>VALUE lines); scale_report prints the growth table (one column
# per size), the targets met or MISSED, and every check that did not hold.

# fig DIR N KEY: one figure of size N ("?" when the child did not get there)
fig() { awk -F'\t' -v k="$3" '$1 == k { v = $2 } END { print (v == "" ? "?" : v) }' "$1/$2.row" 2>/dev/null || echo '?'; }

cpu_model() { sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1; }

# verdict VALUE OP LIMIT: met or MISSED (MISSED when the value is missing)
verdict() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v !~ /^[0-9.]+$/) { print "MISSED"; exit }
        ok = (op == "<=" ? v + 0 <= l + 0 : v + 0 < l + 0)
        print (ok ? "met" : "MISSED")
    }'
}

scale_report() {  # ROWS SIZES WALL_S STATUS
    local dir=$1 sizes=$2 wall=$3 status=$4 n line key label
    local -a figures=(
        "users|users" "mailboxes|shared mailboxes" "entries|LDAP entries" "largest_group|largest group (members)"
        "ldif_mb|LDIF size (MB)" "generate_s|generate LDIF (s)" "load_s|slapadd + slapd start (s)"
        "mdb_mb|mdb data file (MB)"
        "kind_own_searches_per_msg|searches per cold msg: own"
        "kind_send-as_searches_per_msg|searches per cold msg: Send As (3 levels)"
        "kind_behalf_searches_per_msg|searches per cold msg: Send on Behalf"
        "kind_denied_searches_per_msg|searches per cold msg: denied"
        "cold_c1_searches_per_msg|searches per cold msg: mix 1:1:1:1"
        "cold_c1_cpu_us_per_msg|cold: daemon CPU us per msg" "cold_c1_slapd_cpu_us_per_msg|cold: slapd CPU us per msg"
        "cold_c1_p50_ms|cold p50 ms, c=1" "cold_c1_p99_ms|cold p99 ms, c=1" "cold_c1_load1|  load1 then"
        "cold_c8_p50_ms|cold p50 ms, c=8" "cold_c8_p99_ms|cold p99 ms, c=8" "cold_c8_msgs_per_s|cold msgs/s, c=8"
        "storm_users|storm: distinct users" "storm_s|storm: seconds (2 msgs per user, c=64)" "storm_p99_ms|storm: p99 ms"
        "storm_errors|storm: wrong replies + failed exchanges" "storm_lookups|storm: LDAP lookups"
        "storm_expected|storm: users + user/mailbox pairs" "storm_new_ldap|storm: new LDAP connections"
        "storm_load1|  load1 then"
        "memory_users|memory: users warmed"
        "mem_rss_bytes_per_user|local tier: RSS bytes per user" "mem_redis_bytes_per_record|Redis: bytes per record"
        "mem_redis_bytes_per_user|Redis: bytes per user"
        "memu_rss_bytes_per_user|with usage.record: RSS bytes per user"
        "memu_redis_bytes_per_user|with usage.record: Redis bytes per user"
        "audit_s|audit: seconds" "audit_cpu_s|audit: CPU seconds" "audit_peak_rss_mb|audit: peak RSS (MB)" "audit_holders|audit: generated rights listed"
        "audit_csv_mb|audit: CSV output (MB)"
        "audit_findings|audit: findings" "audit_load1|  load1 then"
    )
    echo
    echo "== sendas-milter directory scale: $(nproc) cores, $(cpu_model); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    {
        printf 'figure'
        for n in $sizes; do printf '\t%s' "$n"; done
        printf '\n'
        for line in "${figures[@]}"; do
            key=${line%%|*} label=${line#*|}
            printf '%s' "$label"
            for n in $sizes; do printf '\t%s' "$(fig "$dir" "$n" "$key")"; done
            printf '\n'
        done
    } | column -t -s $'\t'
    echo
    echo "== targets (issue 15)"
    {
        for n in $sizes; do
            printf '%s\tsearches per cold message <= 3\t%s\t%s\n' "$n" "$(fig "$dir" "$n" cold_c1_searches_per_msg)" \
                "$(verdict "$(fig "$dir" "$n" cold_c1_searches_per_msg)" '<=' 3)"
            printf '%s\tcold p99 < 20 ms (c=1)\t%s\t%s\n' "$n" "$(fig "$dir" "$n" cold_c1_p99_ms)" \
                "$(verdict "$(fig "$dir" "$n" cold_c1_p99_ms)" '<' 20)"
            printf '%s\tstorm of %s users within 10 s\t%s\t%s\n' "$n" "$(fig "$dir" "$n" storm_users)" \
                "$(fig "$dir" "$n" storm_s)" "$(verdict "$(fig "$dir" "$n" storm_s)" '<=' 10)"
            printf '%s\taudit < 60 s\t%s\t%s\n' "$n" "$(fig "$dir" "$n" audit_s)" \
                "$(verdict "$(fig "$dir" "$n" audit_s)" '<' 60)"
        done
    } | column -t -s $'\t'
    echo
    echo "== checks (each must hold; a failure fails the benchmark)"
    for n in $sizes; do
        if [ ! -s "$dir/$n.row" ]; then
            echo "$n: no figures (the run stopped early)"
            continue
        fi
        awk -F'\t' -v n="$n" '$1 ~ /^check:/ { sub(/^check:/, "", $1); printf "%s: %-6s %s\n", n, $2, $1 }' "$dir/$n.row"
    done
    echo
    echo "wall time $wall s; $([ "$status" = 0 ] && echo 'every reply as expected, every check held' ||
        echo 'FAILED: a wrong reply, a failed exchange or a check that did not hold')"
}
