# libsendas: everything but main(), shared by the daemon, sendasctl and
# tests. One folder per layer; src/LAYERS says which may include which.
noinst_LIBRARIES += src/libsendas.a
src_libsendas_a_SOURCES = \
	src/base/config.cpp src/base/config.h \
	src/base/duration.cpp src/base/duration.h \
	src/base/json.cpp src/base/json.h \
	src/base/json_reader.cpp src/base/json_reader.h \
	src/base/log.cpp src/base/log.h \
	src/base/mailbox_match.cpp src/base/mailbox_match.h \
	src/base/metrics.cpp src/base/metrics.h \
	src/base/options.cpp src/base/options.h \
	src/base/clock.h \
	src/base/record_mac.cpp src/base/record_mac.h \
	src/base/secret_files.cpp src/base/secret_files.h \
	src/base/string_util.h \
	src/base/tokens.h \
	src/policy/address.cpp src/policy/address.h \
	src/policy/address_chars.h src/policy/address_format.cpp \
	src/policy/claims.cpp src/policy/claims.h \
	src/policy/policy.cpp src/policy/policy.h \
	src/policy/report_mode.cpp src/policy/report_mode.h \
	src/policy/rights.h \
	src/policy/vocabulary.cpp src/policy/vocabulary.h \
	src/directory/change_feed.cpp src/directory/change_feed.h \
	src/directory/change_scope.cpp src/directory/change_scope.h \
	src/directory/ad_directory.cpp src/directory/ad_directory.h \
	src/directory/ad_snapshot.cpp \
	src/directory/directory.h \
	src/directory/ldap_connection.cpp src/directory/ldap_connection.h \
	src/directory/ldap_directory.cpp src/directory/ldap_directory.h \
	src/directory/ldap_filter.cpp src/directory/ldap_filter.h \
	src/directory/poll_feed.cpp src/directory/poll_feed.h \
	src/directory/ldap_lists.cpp \
	src/directory/ldap_snapshot.cpp \
	src/directory/resolver.cpp src/directory/resolver.h \
	src/directory/security_descriptor.cpp src/directory/security_descriptor.h \
	src/directory/snapshot.h \
	src/directory/syncrepl_feed.cpp src/directory/syncrepl_feed.h \
	src/cache/cache_codec.cpp src/cache/cache_codec.h \
	src/cache/caching_directory.cpp src/cache/caching_directory.h \
	src/cache/local_cache.cpp src/cache/local_cache.h \
	src/cache/redis_client.cpp src/cache/redis_client.h \
	src/cache/redis_sentinel.cpp src/cache/redis_sentinel.h \
	src/cache/redis_tier.cpp src/cache/redis_tier.h \
	src/cache/single_flight.h \
	src/cache/watch_store.cpp src/cache/watch_store.h \
	src/ops/audit_diff.cpp src/ops/audit_diff.h \
	src/ops/audit_html.cpp src/ops/audit_html.h \
	src/ops/decision_log.cpp src/ops/decision_log.h \
	src/ops/lookup_trace.cpp src/ops/lookup_trace.h \
	src/ops/rights_audit.cpp src/ops/rights_audit.h \
	src/ops/send_limit.cpp src/ops/send_limit.h \
	src/ops/usage_audit.cpp src/ops/usage_audit.h \
	src/ops/usage_file.cpp src/ops/usage_file.h \
	src/ops/usage_record.cpp src/ops/usage_record.h \
	src/ops/usage_recorder.cpp src/ops/usage_recorder.h \
	src/ops/usage_report.cpp src/ops/usage_report.h \
	src/ops/usage_store.h \
	src/milter/mta_actions.h \
	src/milter/runtime.h \
	src/milter/session.cpp src/milter/session.h \
	src/watch/change_watcher.cpp src/watch/change_watcher.h \
	src/cmd/ctl_audit.cpp src/cmd/ctl_audit.h \
	src/cmd/ctl_usage.cpp src/cmd/ctl_usage.h \
	src/cmd/startup.cpp src/cmd/startup.h \
	src/cmd/usage_redis.cpp src/cmd/usage_redis.h
src_libsendas_a_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS) $(LDAP_CFLAGS) $(HIREDIS_CFLAGS) $(PROMETHEUS_CFLAGS) $(CRYPTO_CFLAGS)

SENDAS_LIBS = src/libsendas.a $(LDAP_LIBS) $(HIREDIS_LIBS) $(PROMETHEUS_LIBS) $(BOOST_PO_LIBS) $(CRYPTO_LIBS)

sbin_PROGRAMS += src/sendas-milter
src_sendas_milter_SOURCES = src/cmd/sendas_milter.cpp src/milter/glue.cpp src/milter/glue.h src/milter/negotiation.h \
	src/cmd/service_notify.cpp src/cmd/service_notify.h
src_sendas_milter_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS) $(SYSTEMD_CFLAGS)
src_sendas_milter_LDADD = $(SENDAS_LIBS) $(MILTER_LIBS) $(SYSTEMD_LIBS)

sbin_PROGRAMS += src/sendasctl
src_sendasctl_SOURCES = src/cmd/sendasctl.cpp
src_sendasctl_LDADD = $(SENDAS_LIBS)

EXTRA_DIST += src/LAYERS
