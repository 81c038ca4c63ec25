# Man pages: templates filled with the configured paths and version.
# Filled by make, not by config.status: config.status would write
# @sysconfdir@ as the literal "${prefix}/etc" (autoconf manual,
# "Installation Directory Variables").
MAN_TEMPLATES = \
	man/sendas-milter.8.in \
	man/sendas-milter.conf.5.in \
	man/sendasctl.8.in
nodist_man_MANS = \
	man/sendas-milter.8 \
	man/sendas-milter.conf.5 \
	man/sendasctl.8
EXTRA_DIST += $(MAN_TEMPLATES)
CLEANFILES += $(nodist_man_MANS)

man_fill = $(AM_V_GEN)$(MKDIR_P) man && rm -f $@ $@.tmp && \
	sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	    -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@

man/sendas-milter.8: $(srcdir)/man/sendas-milter.8.in Makefile
	$(man_fill)
man/sendas-milter.conf.5: $(srcdir)/man/sendas-milter.conf.5.in Makefile
	$(man_fill)
man/sendasctl.8: $(srcdir)/man/sendasctl.8.in Makefile
	$(man_fill)
