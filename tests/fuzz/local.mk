# libFuzzer targets (./configure --enable-fuzzing CXX=clang++-14): each
# links libsendas.a, built with coverage, ASan and UBSan, and reads one
# input per call. `make fuzz` replays each seed corpus (corpus/TARGET/),
# then fuzzes each target for FUZZ_SECONDS; new inputs go to
# tests/fuzz/work/TARGET in the build tree, crashes to
# tests/fuzz/artifacts/TARGET/.
FUZZ_SECONDS = 60
EXTRA_DIST += tests/fuzz/run-fuzz tests/fuzz/check.h tests/fuzz/corpus

.PHONY: fuzz
if FUZZING
FUZZ_TARGETS = \
	tests/fuzz/fuzz-address \
	tests/fuzz/fuzz-audit-snapshot \
	tests/fuzz/fuzz-cache-record \
	tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-headers \
	tests/fuzz/fuzz-property \
	tests/fuzz/fuzz-security-descriptor \
	tests/fuzz/fuzz-sentinel-reply \
	tests/fuzz/fuzz-sync-message \
	tests/fuzz/fuzz-usage-record \
	tests/fuzz/fuzz-xtext
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_CPPFLAGS = $(src_libsendas_a_CPPFLAGS)
FUZZ_LDADD = $(SENDAS_LIBS)

tests_fuzz_fuzz_sync_message_SOURCES = tests/fuzz/fuzz_sync_message.cpp tests/fuzz/check.h
tests_fuzz_fuzz_sync_message_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_sync_message_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_sync_message_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_address_SOURCES = tests/fuzz/fuzz_address.cpp tests/fuzz/check.h
tests_fuzz_fuzz_address_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_address_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_address_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_audit_snapshot_SOURCES = tests/fuzz/fuzz_audit_snapshot.cpp tests/fuzz/check.h
tests_fuzz_fuzz_audit_snapshot_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_audit_snapshot_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_audit_snapshot_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cache_record_SOURCES = tests/fuzz/fuzz_cache_record.cpp tests/fuzz/check.h
tests_fuzz_fuzz_cache_record_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_cache_record_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cache_record_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.cpp
tests_fuzz_fuzz_config_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_headers_SOURCES = tests/fuzz/fuzz_headers.cpp tests/fuzz/check.h
tests_fuzz_fuzz_headers_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_headers_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_headers_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_property_SOURCES = tests/fuzz/fuzz_property.cpp tests/lib/property_oracle.cpp tests/lib/property_oracle.h
tests_fuzz_fuzz_property_CPPFLAGS = $(FUZZ_CPPFLAGS) -I$(top_srcdir)/tests/lib
tests_fuzz_fuzz_property_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_property_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_security_descriptor_SOURCES = tests/fuzz/fuzz_security_descriptor.cpp tests/fuzz/check.h
tests_fuzz_fuzz_security_descriptor_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_security_descriptor_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_security_descriptor_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_sentinel_reply_SOURCES = tests/fuzz/fuzz_sentinel_reply.cpp tests/fuzz/check.h
tests_fuzz_fuzz_sentinel_reply_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_sentinel_reply_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_sentinel_reply_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_usage_record_SOURCES = tests/fuzz/fuzz_usage_record.cpp tests/fuzz/check.h
tests_fuzz_fuzz_usage_record_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_usage_record_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_usage_record_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_xtext_SOURCES = tests/fuzz/fuzz_xtext.cpp tests/fuzz/check.h
tests_fuzz_fuzz_xtext_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_xtext_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_xtext_LDADD = $(FUZZ_LDADD)

fuzz: $(FUZZ_TARGETS)
	@$(BASH) $(srcdir)/tests/fuzz/run-fuzz $(FUZZ_SECONDS) $(srcdir)/tests/fuzz/corpus $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing CXX=clang++-14 first" >&2; exit 1
endif

clean-local:
	-rm -rf tests/fuzz/work tests/fuzz/artifacts tests/fuzz/*.out tests/samba-template
