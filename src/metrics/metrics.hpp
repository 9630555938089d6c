#pragma once
// What GET /metrics reports, counted where it happens.
//
// Cheap enough to leave on: each server thread counts into its own cache-line-aligned
// shard (relaxed atomic adds on lines no other thread writes, so no contention and no
// lock), and a scrape sums the shards. Nothing here allocates on the request path.
// One registry per process, as nginx's stub_status counters are: every layer counts
// without the registry being passed through every constructor.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace presenced::metrics {

inline constexpr std::size_t kMaxRoutes = 16;
inline constexpr std::size_t kMaxTokenErrors = 8;
// The statuses presenced answers with; any other lands in the last slot ("other").
inline constexpr std::array<unsigned, 16> kStatuses = {200, 204, 400, 401, 403, 404, 405, 408,
                                                       413, 422, 426, 429, 431, 500, 503, 0};
// Latency histogram bounds, in microseconds (the last bucket is +Inf).
inline constexpr std::array<std::uint64_t, 14> kLatencyBoundsUs = {
    50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000, 5'000'000};

enum class Counter : std::uint8_t {
  connections_accepted,
  connections_refused,   // over --max-connections
  connections_closed,
  ws_opened,
  ws_closed,
  ws_messages_received,
  ws_messages_sent,
  events_sent,            // presence events delivered to sockets
  throttled_http,         // 429 from the per-user rate limit
  throttled_ws,           // WebSocket messages over the per-socket rate or the per-user limit
  ws_sockets_refused,     // WebSockets refused: their user had --max-sockets-per-user open
  store_errors,           // a store call that could not be served (503 / error message)
  store_reconnects,
  tabs_refused,           // new tabs over --max-tabs-per-record / --max-tabs-per-user / --max-user-tabs
  scope_refused,          // a record outside the token's scope (HTTP 403, WebSocket forbidden)
  webhooks_delivered,     // webhook events the receiver accepted (2xx)
  webhooks_retried,       // attempts that failed and were tried again
  webhooks_failed,        // events given up on (refused, or out of attempts)
  webhooks_dropped,       // events dropped unsent: the queue was full
  count_
};

struct alignas(64) Shard {
  std::array<std::array<std::atomic<std::uint64_t>, kStatuses.size()>, kMaxRoutes> requests{};
  std::array<std::array<std::atomic<std::uint64_t>, kLatencyBoundsUs.size() + 1>, kMaxRoutes> latency{};
  std::array<std::atomic<std::uint64_t>, kMaxRoutes> latency_sum_us{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Counter::count_)> counters{};
  std::array<std::atomic<std::uint64_t>, kMaxTokenErrors> tokens_rejected{};
};

// Live presence, from the store at scrape time (the embedded store knows it; a Redis
// node does not, without scanning the keyspace).
struct LiveCounts {
  std::uint64_t tabs = 0;
  std::uint64_t records = 0;
  std::uint64_t users = 0;
};

// The names the render uses for route and token-error indices.
struct Labels {
  std::span<const std::string_view> routes;
  std::span<const std::string_view> token_errors;
};

// The calling thread counts into shard `index` from now on (server threads call it once;
// other threads share the last shard).
void bind_thread(std::size_t index);

Shard& shard();

inline void add(Counter c, std::uint64_t n = 1) {
  shard().counters[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
}

inline std::size_t status_slot(unsigned status) {
  for (std::size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatuses.size() - 1;
}

inline void request(std::size_t route, unsigned status, std::chrono::steady_clock::duration took) {
  Shard& s = shard();
  const auto us = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  std::size_t bucket = 0;
  while (bucket < kLatencyBoundsUs.size() && us > kLatencyBoundsUs[bucket]) ++bucket;
  s.requests[route][status_slot(status)].fetch_add(1, std::memory_order_relaxed);
  s.latency[route][bucket].fetch_add(1, std::memory_order_relaxed);
  s.latency_sum_us[route].fetch_add(us, std::memory_order_relaxed);
}

inline void token_rejected(std::size_t reason) {
  if (reason < kMaxTokenErrors) shard().tokens_rejected[reason].fetch_add(1, std::memory_order_relaxed);
}

// The sum of every shard's `c` (tests, logs).
std::uint64_t total(Counter c);

// Appends the Prometheus text exposition (version 0.0.4) of every metric to `out`.
void render(std::string& out, const Labels& labels, const std::optional<LiveCounts>& live);

}  // namespace presenced::metrics
