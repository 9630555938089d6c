#pragma once
// From an Authorization header to an identity: Bearer scheme, cache, then verification.

#include "auth/jwt.hpp"
#include "auth/token_cache.hpp"
#include "presence/clock.hpp"

namespace presenced::auth {

class Authenticator {
 public:
  Authenticator(const JwtCodec& codec, const presence::Clock& clock, std::size_t cache_capacity)
      : codec_(codec), clock_(clock), cache_(cache_capacity) {}

  // `authorization` is the header's value (empty when absent). `out` receives its own
  // reference to the user: a request keeps its identity across awaits even while other
  // connections on this thread replace cache entries.
  TokenError authenticate_header(std::string_view authorization, presence::Identity& out);
  // `remember`: keep the verified token in the cache. A WebSocket's token is not kept: the
  // socket holds its identity for its life, and a cached copy would be a second one (in a
  // room of 10,000 sockets, 2.5 MB), for requests that a socket's client does not send.
  enum class Remember : bool { no, yes };
  TokenError authenticate_token(std::string_view token, presence::Identity& out, Remember remember = Remember::yes);

  const TokenCache& cache() const { return cache_; }

 private:
  const JwtCodec& codec_;
  const presence::Clock& clock_;
  TokenCache cache_;
};

}  // namespace presenced::auth
