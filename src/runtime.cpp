// Runtime construction; see runtime.h.
#include "runtime.h"

#include "ldap_directory.h"

namespace sendas {

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const Config> config) {
    auto runtime = std::make_shared<Runtime>();
    runtime->directory = std::make_shared<LdapDirectory>(config->ldap);
    runtime->config = std::move(config);
    return runtime;
}

}  // namespace sendas
