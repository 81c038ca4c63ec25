// libmilter glue: registration and the extern "C" callbacks, each a short
// trampoline into the connection's MilterSession.
#ifndef SENDAS_MILTER_GLUE_H
#define SENDAS_MILTER_GLUE_H

#include <string>

#include "milter/runtime.h"

namespace sendas {

// Registers the filter with libmilter, gives it the command `timeout`
// (seconds) and the listen `backlog`, and opens `socket` (so errors such
// as a busy address show before the daemon detaches). `holder` must
// outlive smfi_main(). Returns an empty string or the error.
std::string milter_setup(RuntimeHolder &holder, const std::string &socket, unsigned timeout, unsigned backlog);

}  // namespace sendas

#endif
