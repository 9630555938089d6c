#pragma once
// Wiring: builds the store, the auth, the throttle and the server from a configuration,
// and runs them until a signal. The one place that knows every concrete class.

#include "app/config.hpp"

namespace presenced::app {

// Serves until SIGINT or SIGTERM. Returns the process exit code.
int serve(const ServeConfig& config);

// `presenced token ...`: prints a signed token.
int print_token(const TokenConfig& config);

}  // namespace presenced::app
