# Benchmarks (issue 7): not built by `make`, not run by `make check`.
#   make bench       milter-protocol benchmark: null-milter vs sendas-milter (bench/run)
#   make bench-e2e   end to end through Postfix and Dovecot, as root (bench/e2e)
#   make bench-scale directory-scale figures, 1,000 to 100,000 users (bench/scale;
#                    SCALE_SIZES="1000 10000" for a quick run)
# Each prints its tables; bench/RESULTS.md holds runs and how to read them.
EXTRA_PROGRAMS = bench/milter-load bench/null-milter bench/smtp-load

bench_milter_load_SOURCES = bench/milter_load.cpp bench/generated_directory.cpp bench/generated_directory.h \
	tests/lib/milter_client.cpp tests/lib/milter_client.h
bench_milter_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib $(MILTER_CFLAGS)

bench_null_milter_SOURCES = bench/null_milter.cpp src/milter/negotiation.h
bench_null_milter_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS)
bench_null_milter_LDADD = $(MILTER_LIBS)

bench_smtp_load_SOURCES = bench/smtp_load.cpp
bench_smtp_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib

EXTRA_DIST += bench/run bench/e2e bench/scale bench/scale_report.sh bench/lib.sh bench/RESULTS.md bench/load_common.h
CLEANFILES += $(EXTRA_PROGRAMS)

BENCH_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	SENDAS_MILTER=$${SENDAS_MILTER:-$(abs_top_builddir)/src/sendas-milter} \
	SENDASCTL=$${SENDASCTL:-$(abs_top_builddir)/src/sendasctl} \
	SLAPD='$(SLAPD)' SLAPADD='$(SLAPADD)' MILTERTEST='$(MILTERTEST)'

.PHONY: bench bench-e2e bench-scale
bench: bench/milter-load bench/null-milter src/sendas-milter
	$(BENCH_ENVIRONMENT) $(BASH) $(srcdir)/bench/run

bench-e2e: bench/smtp-load bench/null-milter src/sendas-milter
	$(BENCH_ENVIRONMENT) $(BASH) $(srcdir)/bench/e2e

bench-scale: bench/milter-load bench/null-milter src/sendas-milter src/sendasctl
	$(BENCH_ENVIRONMENT) $(BASH) $(srcdir)/bench/scale
