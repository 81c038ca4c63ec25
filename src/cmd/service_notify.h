// The daemon's state for a service manager: systemd's sd_notify protocol
// (a Type=notify unit), so that `systemctl start` returns once the milter
// can take mail and `systemctl reload` once the new config is in place.
//
// Each call sends one datagram to $NOTIFY_SOCKET; without that variable, or
// in a build without libsystemd (./configure --without-systemd), it does
// nothing. Failures are ignored: the service manager's own timeouts cover
// a lost message. Thread-safe.
#ifndef SENDAS_SERVICE_NOTIFY_H
#define SENDAS_SERVICE_NOTIFY_H

namespace sendas::service_notify {

// READY=1: the socket listens; call after start-up and after a reload.
void ready();
// RELOADING=1 (with MONOTONIC_USEC): a reload has begun.
void reloading();
// STOPPING=1: shutting down, no new connections.
void stopping();

}  // namespace sendas::service_notify

#endif
