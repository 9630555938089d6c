#pragma once
// The process: the limits it needs from the system, then the runtime (runtime.hpp, which
// builds and owns everything) until a signal; and the `token` command.

#include "app/config.hpp"

namespace presenced::app {

// Serves until SIGINT or SIGTERM. Returns the process exit code.
int serve(const ServeConfig& config);

// `presenced token ...`: prints a signed token.
int print_token(const TokenConfig& config);

}  // namespace presenced::app
