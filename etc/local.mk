# The documented sample configuration, installed as the default config.
sendasconfdir = $(sysconfdir)/sendas-milter
dist_sendasconf_DATA = etc/sendas-milter.conf
