#!/usr/bin/env bash
# sendasctl audit --format html, opened in a real headless Chromium: the
# rows of the real slapd's rights with the last use from Redis, the filter
# and the sort pre-set by the address fragment (#filter=...&sort=...), the
# page without JavaScript, nothing fetched from outside, and hostile values
# from LDAP shown as text, never as markup. Writes a screenshot of the page
# to tests/integration/review-page.png in the build tree; doc/review-page.png
# (in the README) is a copy of it:
#   make check TESTS=tests/integration/review-page.sh && cp tests/integration/review-page.png doc/
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl ldapadd chromium
SHOT=${top_builddir:+$top_builddir/tests/integration}
SHOT=${SHOT:-$SENDAS_LIB_DIR}/review-page.png
B=dc=example,dc=com
start_slapd
start_redis
start_milter "redis.address = $REDIS_ADDRESS"

# chromium_run ARGS... URL: headless, a fresh profile below $T each time (a
# second Chromium on a profile in use hands its URL over and exits); as
# root Chromium refuses to start without --no-sandbox.
chromium_run() {
    local sandbox=()
    [ "$(id -u)" != 0 ] || sandbox=(--no-sandbox)
    timeout 60 "$CHROMIUM" --headless "${sandbox[@]}" --user-data-dir="$T/chromium.$((++runs))" --no-first-run \
        --disable-gpu --disable-extensions --disable-background-networking --hide-scrollbars "$@" 2>>"$T/chromium.log"
}
runs=0
on_exit dump_on_failure "chromium log" "$T/chromium.log"

# page_rows DOM TABLE: one line per body row of table#TABLE in a DOM that
# Chromium dumped: "shown" or "hidden", then each cell's text, tab-separated.
page_rows() {
    python3 - "$1" "$2" <<'EOF'
import html.parser, re, sys

class Rows(html.parser.HTMLParser):
    """Prints the body rows of one table; the page nests no tables."""
    def __init__(self, table):
        super().__init__()
        self.table, self.inside, self.row, self.cell = table, False, None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table": self.inside = a.get("id") == self.table
        elif not self.inside: return
        elif tag == "tr": self.row = ["hidden" if "hidden" in a else "shown"]
        elif tag == "td": self.cell = []
        elif tag == "br" and self.cell is not None: self.cell.append(" ")
    def handle_endtag(self, tag):
        if tag == "table": self.inside = False
        elif tag == "td" and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            print("\t".join(self.row))
            self.row = None
    def handle_data(self, data):
        if self.cell is not None: self.cell.append(data)

text = open(sys.argv[1], encoding="utf-8").read()
Rows(sys.argv[2]).feed(re.sub(r"<thead>.*?</thead>", "", text, flags=re.S))
EOF
}

# open_page FRAGMENT [ARGS...]: the page's DOM after its script ran, in $dom.
open_page() {
    local fragment=$1
    shift
    dom=$T/dom.$((++pages)).html
    chromium_run "$@" --dump-dom "file://$T/review.html$fragment" >"$dom" || fail "chromium --dump-dom $fragment failed"
    grep -q '<table class="data" id="rights"' "$dom" || fail "no rights table in the DOM of $fragment: $(head -c 400 "$dom")"
}
pages=0

# rights_rows [shown]: "mailbox right holder-address last-used findings" of
# the rights table of $dom, all rows or only those shown.
rights_rows() {
    page_rows "$dom" rights | awk -F'\t' -v only="${1:-}" '
        only == "" || $1 == only { split($4, who, " "); line = $2 " " $3 " " who[1] " " $6 " " $7; sub(/ +$/, "", line); print line }'
}

# --- The page against the fixture, with one recorded use ------------------------
r=$(probe_result alice 'Support <support@example.com>' QR1)
[ "$r" = "result accept" ] || fail "alice as support@: $r"
for i in $(seq 50); do
    [ -n "$("$SENDASCTL" -c "$MILTER_CONF" usage --user alice@example.com --format csv | tail -n +2)" ] && break
    sleep 0.1
done
"$SENDASCTL" -c "$MILTER_CONF" audit --format html >"$T/review.html" 2>"$T/audit.err" ||
    fail "audit --format html exited $?: $(cat "$T/audit.err")"
"$SENDASCTL" -c "$MILTER_CONF" audit --format json >"$T/review.json" || fail "audit --format json failed"
# What the JSON report says, to compare the page with: rights held, mailboxes
# whose groups grant nobody (a "nobody" row each), findings, UNUSED_RIGHT.
read -r json_rights json_nobody json_unused json_findings < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = [sum(len(h) for h in m["rights"].values()) for m in d["mailboxes"]]
print(sum(rows), rows.count(0), sum(f["code"] == "UNUSED_RIGHT" for f in d["findings"]), len(d["findings"]))
' "$T/review.json")
[ "$json_rights" -gt 5 ] && [ "$json_nobody" -gt 0 ] && [ "$json_unused" -gt 0 ] ||
    fail "fixture report too small: $json_rights rights, $json_nobody without holders, $json_unused unused"
table_rows=$((json_rights + json_nobody))

# No filter (the positive control of every filter below): every right a row, all shown.
open_page ""
all=$(rights_rows)
[ "$(rights_rows shown | wc -l)" = "$table_rows" ] && [ "$(wc -l <<<"$all")" = "$table_rows" ] ||
    fail "rows without a filter: expected $table_rows, got $(wc -l <<<"$all"):
$all"
[ "$(grep -c '^deep@example.com  nobody$' <<<"$all")" = 1 ] || fail "no nobody row for deep@: $all"
grep -qx 'support@example.com send-as alice@example.com 20[0-9-]*T[0-9:]*Z ([0-9]* d ago)' <<<"$all" ||
    fail "alice's use of support@ not on the page: $all"
grep -qx 'support@example.com send-on-behalf bob@example.com never UNUSED_RIGHT' <<<"$all" ||
    fail "bob's unused right: $all"
grep -qx 'support@example.com full-access carol@example.com not recorded FULL_ACCESS_WITHOUT_SEND' <<<"$all" ||
    fail "carol's Full Access: $all"
grep -qx 'sales@example.com send-as frank@example.com never SEND_AS_AND_ON_BEHALF UNUSED_RIGHT' <<<"$all" ||
    fail "frank's findings on sales@: $all"
[ "$(page_rows "$dom" findings | grep -c '^shown')" = "$json_findings" ] || fail "findings table: $(page_rows "$dom" findings)"
summary=$(python3 -c '
import re, sys
d = open(sys.argv[1]).read()
print(" ".join(re.search(r"id=\"sum-%s\"[^>]*><span class=\"n\">([^<]*)<" % k, d).group(1)
               for k in ("mailboxes", "holders", "rights", "unused", "findings")))' "$dom")
mailboxes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["mailboxes"]))' "$T/review.json")
holders=$(python3 -c '
import json, sys
print(len({h["dn"].lower() for m in json.load(open(sys.argv[1]))["mailboxes"] for r in m["rights"].values() for h in r}))
' "$T/review.json")
[ "$summary" = "$mailboxes $holders $json_rights $json_unused $json_findings" ] ||
    fail "summary: expected $mailboxes $holders $json_rights $json_unused $json_findings, got $summary"
grep -q '<p id="filter-bar">' "$dom" || fail "the script did not show the filter box"
# Self-contained: no element that loads anything, links only within the page.
grep -Eo '<(img|link|iframe|object|embed|audio|video|source)[ >]| (src|srcset|action)="[^"]*"' "$dom" &&
    fail "the page loads something"
[ -z "$(grep -Eo 'href="[^"#][^"]*"' "$dom")" ] || fail "a link out of the page: $(grep -Eo 'href="[^"#][^"]*"' "$dom")"
grep -q 'href="#filter=UNUSED_RIGHT"' "$dom" || fail "the summary does not link UNUSED_RIGHT to its filter"

chromium_run --window-size=1280,1800 --screenshot="$T/review.png" "file://$T/review.html" >/dev/null ||
    fail "chromium --screenshot failed"
[ "$(head -c 8 "$T/review.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is no PNG"
[ "$(stat -c %s "$T/review.png")" -gt 20000 ] || fail "the screenshot is nearly empty: $(stat -c %s "$T/review.png") bytes"
cp "$T/review.png" "$SHOT"
say "screenshot of the page: $SHOT"

# --- The filter: exactly the rows with every word ----------------------------------
open_page "#filter=alice"
expect="alerts@notify.example.com send-as alice@example.com never
alerts@notify.example.com send-on-behalf alice@example.com never
noreply@example.com send-as alice@example.com never UNUSED_RIGHT
support@example.com send-as alice@example.com"
shown=$(rights_rows shown)
[ "$(cut -d' ' -f1-3 <<<"$shown")" = "$(cut -d' ' -f1-3 <<<"$expect")" ] || fail "#filter=alice shows
$shown"
[ "$(rights_rows hidden | wc -l)" = $((table_rows - 4)) ] || fail "#filter=alice hides $(rights_rows hidden | wc -l)"
open_page "#filter=support%20never"
[ "$(rights_rows shown)" = "support@example.com send-on-behalf bob@example.com never UNUSED_RIGHT" ] ||
    fail "#filter=support never (both words) shows $(rights_rows shown)"
open_page "#filter=UNUSED_RIGHT"
[ "$(page_rows "$dom" findings | grep -c '^shown')" = "$json_unused" ] ||
    fail "#filter=UNUSED_RIGHT: findings shown $(page_rows "$dom" findings | grep '^shown')"
open_page "#filter=no-such-word"
[ -z "$(rights_rows shown)" ] && [ "$(rights_rows hidden | wc -l)" = "$table_rows" ] || fail "a filter matching nothing"
grep -q '<span class="shown" id="rights-shown">0 of '"$table_rows"' shown</span>' "$dom" || fail "count of shown rows"

# --- Sorting: by last use, newest first ---------------------------------------------
[ "$(rights_rows | head -n 1 | cut -d' ' -f1-3)" != "support@example.com send-as alice@example.com" ] ||
    fail "alice's row is first already unsorted: sorting would prove nothing"
open_page "#sort=last-used&order=desc"
[ "$(rights_rows | head -n 1 | cut -d' ' -f1-3)" = "support@example.com send-as alice@example.com" ] ||
    fail "sorted by last use, first row: $(rights_rows | head -n 1)"
grep -q '<th data-key="last-used" aria-sort="descending">' "$dom" || fail "the sorted column is not marked"

# --- Without JavaScript: the plain tables, all rows, no filter box --------------------
# Chromium's --dump-dom needs script to read the DOM, so this reads the page
# as written, which is what a browser without JavaScript shows.
dom=$T/review.html
[ "$(rights_rows shown | wc -l)" = "$table_rows" ] || fail "without JavaScript: $(rights_rows shown | wc -l) rows shown"
grep -q '<p id="filter-bar" hidden>' "$dom" || fail "without JavaScript the useless filter box shows"
grep -q '<tr[^>]* hidden' "$dom" && fail "a row hidden without JavaScript"

# --- Hostile values from LDAP are text ----------------------------------------------
ldap_modify <<EOF
dn: uid=mallory,ou=people,$B
changetype: add
objectClass: inetOrgPerson
uid: mallory
cn: <script>document.title='owned'</script>
sn: M
mail: m"'><script>document.title='owned'</script><img src=x onerror=alert(1)>@example.com

dn: cn=\3Cb\3Eteam\22 onmouseover=\22x,ou=groups,$B
changetype: add
objectClass: groupOfNames
cn: <b>team" onmouseover="x
member: uid=mallory,ou=people,$B

dn: cn=support@example.com,ou=send-as,ou=mailbox-rights,$B
changetype: modify
add: member
member: cn=\3Cb\3Eteam\22 onmouseover=\22x,ou=groups,$B
EOF
"$SENDASCTL" -c "$MILTER_CONF" audit --format html >"$T/review.html" 2>"$T/audit.err" ||
    fail "audit --format html with hostile values exited $?: $(cat "$T/audit.err")"
open_page "#filter=mallory"
hostile="m\"'><script>document.title='owned'</script><img src=x onerror=alert(1)>@example.com"
row=$(page_rows "$dom" rights | grep -F "$hostile") || fail "the hostile address is not shown as text: $(page_rows "$dom" rights)"
[ "$(cut -f1-3 <<<"$row")" = "$(printf 'shown\tsupport@example.com\tsend-as')" ] || fail "the hostile row: $row"
grep -qF '<b>team" onmouseover="x' <<<"$row" || fail "the hostile group name is not shown as text: $row"
# Every element and attribute in the DOM, once each: the page's own only.
markup=$(python3 - "$dom" <<'EOF'
import html.parser, sys
seen = set()
class Markup(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        seen.add("<" + tag)
        seen.update("@" + name for name, _ in attrs)
        if tag == "script": seen.add("script#%d" % sum(s.startswith("script#") for s in seen))
Markup().feed(open(sys.argv[1], encoding="utf-8").read())
print("\n".join(sorted(seen)))
EOF
)
grep -qx '<span' <<<"$markup" && grep -qx '@title' <<<"$markup" || fail "the markup census sees nothing: $markup"
[ "$(grep -c '^script#' <<<"$markup")" = 1 ] || fail "a <script> element besides the page's own"
[ -z "$(grep -E '^<(img|b)$|^@on' <<<"$markup")" ] || fail "a hostile value became markup: $markup"
grep -q '<title>Access review' "$dom" || fail "the page title changed"

stop_milter || fail "daemon did not stop cleanly"
echo PASS
