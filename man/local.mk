# man pages (filled in by the packaging work)
