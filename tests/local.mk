# The layering rule of src/LAYERS, checked on every #include.
TESTS += tests/layering.sh tests/sample-config.sh
EXTRA_DIST += tests/layering.sh tests/sample-config.sh tests/tidy.sh tests/format.sh tests/tsan.supp

# Unit tests: pure logic, no servers; one file per module, in the folder of
# its layer (src/LAYERS). Built only with CppUnit (configure says so).
if HAVE_CPPUNIT
check_PROGRAMS += tests/unit/unit-tests
tests_unit_unit_tests_SOURCES = \
	tests/unit/main.cpp \
	tests/unit/base/config_test.cpp \
	tests/unit/base/json_test.cpp \
	tests/unit/policy/address_test.cpp \
	tests/unit/policy/policy_test.cpp \
	tests/unit/policy/property_test.cpp \
	tests/unit/policy/report_mode_test.cpp \
	tests/unit/policy/sent_copy_test.cpp \
	tests/unit/directory/change_feed_test.cpp \
	tests/unit/directory/ldap_filter_test.cpp \
	tests/unit/directory/ad_directory_test.cpp \
	tests/unit/directory/resolver_test.cpp \
	tests/unit/directory/security_descriptor_test.cpp \
	tests/unit/cache/caching_directory_test.cpp \
	tests/unit/cache/redis_sentinel_test.cpp \
	tests/unit/ops/rights_audit_test.cpp \
	tests/unit/ops/send_limit_test.cpp \
	tests/unit/watch/change_watcher_test.cpp \
	tests/unit/ops/audit_diff_test.cpp \
	tests/unit/ops/domain_grant_audit_test.cpp \
	tests/unit/ops/audit_html_test.cpp \
	tests/unit/ops/lookup_trace_test.cpp \
	tests/unit/ops/usage_record_test.cpp \
	tests/unit/ops/usage_recorder_test.cpp \
	tests/unit/milter/session_test.cpp \
	tests/lib/json_reader.h tests/lib/text.h tests/lib/grants.h \
	tests/lib/property_oracle.cpp tests/lib/property_oracle.h
tests_unit_unit_tests_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib $(CPPUNIT_CFLAGS)
tests_unit_unit_tests_LDADD = $(SENDAS_LIBS) $(CPPUNIT_LIBS)
TESTS += tests/unit/unit-tests
endif

# Integration tests: miltertest scripts driving the real daemon against a
# private slapd (tests/integration/lib.sh). They skip (77) without slapd,
# slapadd, ldapsearch or miltertest.
TEST_EXTENSIONS = .lua
LUA_LOG_COMPILER = $(srcdir)/tests/milter/run-lua
AM_TESTS_ENVIRONMENT = \
	SENDAS_MILTER=$${SENDAS_MILTER:-$(abs_top_builddir)/src/sendas-milter}; export SENDAS_MILTER; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	SLAPD='$(SLAPD)'; SLAPADD='$(SLAPADD)'; MILTERTEST='$(MILTERTEST)'; \
	export SLAPD SLAPADD MILTERTEST; \
	MILTER_PROBE='$(abs_top_builddir)/tests/tools/milter-probe'; export MILTER_PROBE; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir;
if SANITIZERS
# A finding fails the test: ASan aborts, UBSan halts, LeakSanitizer makes
# the exit status non-zero (no leak suppressions: none of the linked
# libraries leaked in these tests). Values already in the environment win.
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS=$${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}; export ASAN_OPTIONS; \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}; export UBSAN_OPTIONS; \
	TSAN_OPTIONS=$${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$(abs_top_srcdir)/tests/tsan.supp}; export TSAN_OPTIONS;
endif
MILTER_LUA_TESTS = \
	tests/milter/auth-author.lua \
	tests/milter/delegate.lua \
	tests/milter/directory-down-accept.lua \
	tests/milter/directory-down-reject.lua \
	tests/milter/directory-down-tempfail.lua \
	tests/milter/envelope-someone-else.lua \
	tests/milter/foreign-from-accept.lua \
	tests/milter/foreign-from-reject.lua \
	tests/milter/from-display-name.lua \
	tests/milter/from-encoded-word.lua \
	tests/milter/from-group-syntax.lua \
	tests/milter/from-lookalike.lua \
	tests/milter/from-several-mailboxes.lua \
	tests/milter/from-twice.lua \
	tests/milter/from-unparsable.lua \
	tests/milter/full-access-only.lua \
	tests/milter/ldap-escaping.lua \
	tests/milter/message-state-reset.lua \
	tests/milter/missing-from-reject.lua \
	tests/milter/missing-from.lua \
	tests/milter/nested-cycle.lua \
	tests/milter/nested-depth-10.lua \
	tests/milter/nested-depth-default.lua \
	tests/milter/no-right.lua \
	tests/milter/null-envelope.lua \
	tests/milter/own-address.lua \
	tests/milter/own-second-address.lua \
	tests/milter/send-as-wins.lua \
	tests/milter/send-as.lua \
	tests/milter/send-on-behalf.lua \
	tests/milter/sender-someone-else.lua \
	tests/milter/sendmail-macros.lua \
	tests/milter/sent-copy-config.lua \
	tests/milter/domain-grant.lua \
	tests/milter/domain-grant-filter-membership.lua \
	tests/milter/unauthenticated-accept.lua \
	tests/milter/unauthenticated-reject.lua \
	tests/milter/unknown-user.lua
TESTS += $(MILTER_LUA_TESTS)
EXTRA_DIST += $(MILTER_LUA_TESTS) \
	tests/milter/common.lua \
	tests/milter/run-lua \
	tests/lib/harness.sh \
	tests/lib/samba.sh \
	tests/lib/samba_fixture.py \
	tests/lib/notify-listener.py \
	tests/README.md \
	tests/integration/lib.sh \
	tests/integration/fixture.ldif

# Our own MTA-side milter client: sees what miltertest cannot (envelope
# sender changes, ESMTP arguments of added recipients).
check_PROGRAMS += tests/tools/milter-probe
tests_tools_milter_probe_SOURCES = tests/tools/milter_probe.cpp tests/lib/milter_client.cpp tests/lib/milter_client.h \
	tests/lib/cli_args.h
tests_tools_milter_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib $(MILTER_CFLAGS)

# Shell tests of the daemon as a program: envelope changes, privileges,
# -t, reload. Same harness and skipping rules as the .lua tests.
TEST_EXTENSIONS += .sh
SH_LOG_COMPILER = $(BASH)
DAEMON_SH_TESTS = \
	tests/integration/watch-syncrepl.sh \
	tests/integration/watch-poll.sh \
	tests/integration/envelope-and-copy.sh \
	tests/integration/domain-grant.sh \
	tests/integration/silent-steps.sh \
	tests/integration/privileges.sh \
	tests/integration/check-mode.sh \
	tests/integration/service-notify.sh \
	tests/integration/cli.sh \
	tests/integration/milter-settings.sh \
	tests/integration/grafana-dashboard.sh \
	tests/integration/reload.sh \
	tests/integration/usage-audit.sh \
	tests/integration/review-page.sh \
	tests/integration/usage-file.sh \
	tests/integration/usage-redis.sh \
	tests/integration/daemon-mode.sh \
	tests/integration/config-malformed.sh \
	tests/integration/ldap-bad-credentials.sh \
	tests/integration/address-exact.sh \
	tests/integration/metrics.sh \
	tests/integration/audit.sh \
	tests/integration/audit-scale.sh \
	tests/integration/send-limit.sh \
	tests/integration/report-mode.sh \
	tests/integration/man-keys.sh \
	tests/integration/cache-warm.sh \
	tests/integration/cache-flush.sh \
	tests/integration/cache-tamper.sh \
	tests/integration/redis-sentinel.sh \
	tests/integration/ldap-failover.sh \
	tests/integration/cache-negative.sh \
	tests/integration/cache-redis-down.sh \
	tests/integration/cache-redis-hung.sh \
	tests/integration/cache-ldap-down.sh \
	tests/integration/cache-single-flight.sh \
	tests/integration/ldap-search-count.sh \
	tests/integration/sendasctl-explain.sh \
	tests/integration/cache-stats.sh \
	tests/integration/cache-redis-burst.sh \
	tests/integration/ad-rights.sh \
	tests/integration/ad-sendasctl.sh \
	tests/integration/ad-tls.sh \
	tests/integration/ad-cache-and-modes.sh \
	tests/integration/ldap-plaintext-bind.sh \
	tests/integration/ldap-sasl-external.sh \
	tests/integration/ad-gssapi.sh
TESTS += $(DAEMON_SH_TESTS)
EXTRA_DIST += $(DAEMON_SH_TESTS) tests/integration/audit-fixture.ldif tests/integration/watch-common.sh

# End-to-end tests: a private Postfix instance with a submission listener,
# Dovecot (SASL, LMTP, IMAP), slapd and the daemon, all in one temporary
# directory on loopback (tests/e2e/lib.sh); real SMTP AUTH submissions with
# swaks, results read back over IMAP. They need root and skip (77) without
# postfix, dovecot-core/-imapd/-lmtpd, swaks or curl. Run by SH_LOG_COMPILER.
E2E_SH_TESTS = \
	tests/e2e/replies.sh \
	tests/e2e/headers-and-copies.sh \
	tests/e2e/config-variants.sh \
	tests/e2e/sent-copy-ldap-override.sh \
	tests/e2e/sent-copy-target.sh \
	tests/e2e/mta-detection.sh \
	tests/e2e/sendmail.sh \
	tests/e2e/ad-layout.sh
TESTS += $(E2E_SH_TESTS)
EXTRA_DIST += $(E2E_SH_TESTS) \
	tests/e2e/lib.sh \
	tests/demo.sh \
	tests/install-deps.sh \
	tests/run.sh
