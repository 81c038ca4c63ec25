// Names of rights as they appear in audit lines and sendasctl output.
#include "policy/rights.h"

namespace sendas {

const char *right_name(Right right) {
    switch (right) {
    case Right::own: return "own";
    case Right::send_as: return "send-as";
    case Right::send_on_behalf: return "send-on-behalf";
    case Right::full_access_only: return "full-access";
    case Right::none: return "none";
    case Right::unknown: return "unknown";
    }
    return "unknown";
}

}  // namespace sendas
