// sd_notify messages; see service_notify.h.
#include "cmd/service_notify.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

#include <ctime>
#endif

namespace sendas::service_notify {

#ifdef HAVE_SYSTEMD

void ready() { sd_notify(0, "READY=1"); }

void reloading() {
    // systemd 253 and later match the reload to the signal by this time.
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const unsigned long long usec =
        static_cast<unsigned long long>(now.tv_sec) * 1000000ULL + static_cast<unsigned long long>(now.tv_nsec) / 1000;
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

void stopping() { sd_notify(0, "STOPPING=1"); }

#else

void ready() {}
void reloading() {}
void stopping() {}

#endif

}  // namespace sendas::service_notify
