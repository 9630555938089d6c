#pragma once
// Requests per minute per user, as Laravel's `throttle:N,1` counts them: a window opens at
// a user's first request and lasts 60 s; within it the first N requests pass and the rest
// get 429 until it closes. Per node: see docs/architecture.md for why.
//
// Shared by all server threads, so the table is split into shards with a mutex each.
// Closed windows are swept from a shard when it has doubled since its last sweep, which
// bounds memory by the users active in the last minute at O(1) amortised cost.

#include "presence/clock.hpp"
#include "presence/identity.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace presenced::service {

struct ThrottleDecision {
  bool allowed = true;
  std::uint32_t limit = 0;
  std::uint32_t remaining = 0;
  std::int64_t retry_after_s = 0;  // only when refused
  std::int64_t reset_unix = 0;     // only when refused
};

class Throttle {
 public:
  static constexpr std::int64_t kWindowMs = 60'000;

  Throttle(std::uint32_t per_minute, const presence::Clock& clock, std::size_t shards = 64);
  ~Throttle();

  bool enabled() const { return limit_ > 0; }
  ThrottleDecision hit(const presence::User& user);
  std::size_t tracked() const;

 private:
  struct Shard;
  std::uint32_t limit_;
  const presence::Clock& clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace presenced::service
