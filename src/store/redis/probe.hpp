#pragma once
// --require-store: one blocking round trip to Redis at startup, before any server thread
// runs (the only place presenced waits on the network synchronously), so that a node that
// cannot reach its store fails at once with the reason instead of starting unready.

#include "store/redis/redis_url.hpp"

#include <chrono>
#include <string>

namespace presenced::store::redis {

// Connects, authenticates and selects as the store would, then PINGs. Empty on success,
// otherwise why not.
std::string probe(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace presenced::store::redis
