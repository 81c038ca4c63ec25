# libsendas: everything but main(), shared by the daemon, sendasctl and tests.
noinst_LIBRARIES += src/libsendas.a
src_libsendas_a_SOURCES = \
	src/address.cpp src/address.h \
	src/audit.cpp src/audit.h \
	src/cache_codec.cpp src/cache_codec.h \
	src/caching_directory.cpp src/caching_directory.h \
	src/config.cpp src/config.h \
	src/directory.h \
	src/ldap_connection.cpp src/ldap_connection.h \
	src/ldap_directory.cpp src/ldap_directory.h \
	src/ldap_filter.cpp src/ldap_filter.h \
	src/json.cpp src/json.h \
	src/local_cache.cpp src/local_cache.h \
	src/log.cpp src/log.h \
	src/mailbox_match.cpp src/mailbox_match.h \
	src/metrics.cpp src/metrics.h \
	src/lookup.cpp src/lookup.h \
	src/milter_session.cpp src/milter_session.h \
	src/mta_actions.h \
	src/policy.cpp src/policy.h \
	src/record_mac.cpp src/record_mac.h \
	src/redis_client.cpp src/redis_client.h \
	src/redis_tier.cpp src/redis_tier.h \
	src/rights.cpp src/rights.h \
	src/rights_audit.cpp src/rights_audit.h \
	src/runtime.cpp src/runtime.h \
	src/send_limit.cpp src/send_limit.h \
	src/single_flight.h \
	src/string_util.h
src_libsendas_a_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS) $(LDAP_CFLAGS) $(HIREDIS_CFLAGS) $(PROMETHEUS_CFLAGS) \
	$(CRYPTO_CFLAGS)

SENDAS_LIBS = src/libsendas.a $(LDAP_LIBS) $(HIREDIS_LIBS) $(PROMETHEUS_LIBS) $(BOOST_PO_LIBS) $(CRYPTO_LIBS)

sbin_PROGRAMS += src/sendas-milter
src_sendas_milter_SOURCES = src/sendas_milter.cpp src/milter_glue.cpp src/milter_glue.h src/milter_negotiation.h
src_sendas_milter_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS)
src_sendas_milter_LDADD = $(SENDAS_LIBS) $(MILTER_LIBS)

sbin_PROGRAMS += src/sendasctl
src_sendasctl_SOURCES = src/sendasctl.cpp
src_sendasctl_LDADD = $(SENDAS_LIBS)
