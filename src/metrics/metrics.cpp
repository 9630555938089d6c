#include "metrics/metrics.hpp"

#include <fmt/format.h>

namespace presenced::metrics {
namespace {

// Server threads beyond this many share the last shard (still correct: the adds are atomic).
constexpr std::size_t kShards = 65;

std::array<Shard, kShards>& shards() {
  static std::array<Shard, kShards> all;
  return all;
}

thread_local Shard* t_shard = nullptr;

std::uint64_t sum(auto member) {
  std::uint64_t n = 0;
  for (const Shard& s : shards()) n += member(s).load(std::memory_order_relaxed);
  return n;
}

struct CounterInfo {
  Counter counter;
  std::string_view name;
  std::string_view help;
};

constexpr CounterInfo kCounters[] = {
    {Counter::connections_accepted, "presenced_http_connections_accepted_total", "TCP connections accepted."},
    {Counter::connections_refused, "presenced_http_connections_refused_total",
     "Connections closed at once because --max-connections were open."},
    {Counter::ws_opened, "presenced_websocket_connections_opened_total", "WebSocket connections opened."},
    {Counter::ws_messages_received, "presenced_websocket_messages_received_total",
     "WebSocket messages received from clients."},
    {Counter::ws_messages_sent, "presenced_websocket_messages_sent_total", "WebSocket messages sent to clients."},
    {Counter::events_sent, "presenced_events_sent_total", "Presence events delivered to WebSocket subscribers."},
    {Counter::store_errors, "presenced_store_errors_total",
     "Store calls that could not be served (answered 503 or an error message)."},
    {Counter::store_reconnects, "presenced_store_reconnects_total", "Connections to Redis re-established."},
    {Counter::tabs_refused, "presenced_tabs_refused_total",
     "New tabs refused over --max-tabs-per-record, --max-tabs-per-user or --max-user-tabs."},
    {Counter::ws_sockets_refused, "presenced_websocket_sockets_refused_total",
     "WebSockets refused (closed; a Pusher socket: its presence subscription) because their user had --max-sockets-per-user open already."},
    {Counter::scope_refused, "presenced_scope_refused_total",
     "Requests and WebSocket messages refused: the token's scope does not cover the record."},
    {Counter::webhooks_delivered, "presenced_webhooks_delivered_total",
     "Webhook events the receiver accepted (a 2xx answer)."},
    {Counter::webhooks_retried, "presenced_webhooks_retried_total", "Webhook attempts that failed and were retried."},
    {Counter::webhooks_failed, "presenced_webhooks_failed_total",
     "Webhook events given up on: refused with a 4xx, or still failing after every attempt."},
    {Counter::webhooks_dropped, "presenced_webhooks_dropped_total",
     "Webhook events dropped unsent because the queue was full (the oldest go first)."},
};

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void bind_thread(std::size_t index) { t_shard = &shards()[index < kShards - 1 ? index : kShards - 1]; }

Shard& shard() {
  if (t_shard == nullptr) [[unlikely]] t_shard = &shards()[kShards - 1];
  return *t_shard;
}

std::uint64_t total(Counter c) {
  return sum([c](const Shard& s) -> const auto& { return s.counters[static_cast<std::size_t>(c)]; });
}

void render(std::string& out, const Labels& labels, const std::optional<LiveCounts>& live) {
  auto it = std::back_inserter(out);

  header(out, "presenced_http_requests_total", "HTTP requests answered, by route and status.", "counter");
  for (std::size_t r = 0; r < labels.routes.size() && r < kMaxRoutes; ++r) {
    for (std::size_t k = 0; k < kStatuses.size(); ++k) {
      const std::uint64_t n = sum([&](const Shard& s) -> const auto& { return s.requests[r][k]; });
      if (n == 0) continue;
      if (kStatuses[k] == 0) {
        fmt::format_to(it, "presenced_http_requests_total{{route=\"{}\",status=\"other\"}} {}\n", labels.routes[r], n);
      } else {
        fmt::format_to(it, "presenced_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", labels.routes[r],
                       kStatuses[k], n);
      }
    }
  }

  header(out, "presenced_http_request_duration_seconds",
         "Time from a request's head read to its answer ready, by route.", "histogram");
  for (std::size_t r = 0; r < labels.routes.size() && r < kMaxRoutes; ++r) {
    std::uint64_t cumulative = 0;
    std::array<std::uint64_t, kLatencyBoundsUs.size() + 1> counts{};
    for (std::size_t b = 0; b < counts.size(); ++b) {
      counts[b] = sum([&](const Shard& s) -> const auto& { return s.latency[r][b]; });
    }
    std::uint64_t all = 0;
    for (auto n : counts) all += n;
    if (all == 0) continue;  // a route never asked for has no series
    for (std::size_t b = 0; b < kLatencyBoundsUs.size(); ++b) {
      cumulative += counts[b];
      fmt::format_to(it, "presenced_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     labels.routes[r], static_cast<double>(kLatencyBoundsUs[b]) / 1e6, cumulative);
    }
    fmt::format_to(it, "presenced_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                   labels.routes[r], all);
    const std::uint64_t sum_us = sum([&](const Shard& s) -> const auto& { return s.latency_sum_us[r]; });
    fmt::format_to(it, "presenced_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", labels.routes[r],
                   static_cast<double>(sum_us) / 1e6);
    fmt::format_to(it, "presenced_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", labels.routes[r], all);
  }

  for (const CounterInfo& c : kCounters) {
    header(out, c.name, c.help, "counter");
    fmt::format_to(it, "{} {}\n", c.name, total(c.counter));
  }

  header(out, "presenced_throttled_total", "Requests and messages refused by a rate limit.", "counter");
  fmt::format_to(it, "presenced_throttled_total{{transport=\"http\"}} {}\n", total(Counter::throttled_http));
  fmt::format_to(it, "presenced_throttled_total{{transport=\"websocket\"}} {}\n", total(Counter::throttled_ws));

  header(out, "presenced_tokens_rejected_total", "Tokens refused, by reason.", "counter");
  for (std::size_t e = 0; e < labels.token_errors.size() && e < kMaxTokenErrors; ++e) {
    fmt::format_to(it, "presenced_tokens_rejected_total{{reason=\"{}\"}} {}\n", labels.token_errors[e],
                   sum([&](const Shard& s) -> const auto& { return s.tokens_rejected[e]; }));
  }

  header(out, "presenced_connections", "Connections (HTTP and WebSocket) open now.", "gauge");
  const std::uint64_t accepted = total(Counter::connections_accepted);
  const std::uint64_t gone = total(Counter::connections_closed);
  fmt::format_to(it, "presenced_connections {}\n", accepted > gone ? accepted - gone : 0);

  header(out, "presenced_websocket_connections", "WebSocket connections open now.", "gauge");
  const std::uint64_t opened = total(Counter::ws_opened);
  const std::uint64_t closed = total(Counter::ws_closed);
  fmt::format_to(it, "presenced_websocket_connections {}\n", opened > closed ? opened - closed : 0);

  if (live) {
    header(out, "presenced_live_tabs", "Tabs heard from within the TTL.", "gauge");
    fmt::format_to(it, "presenced_live_tabs {}\n", live->tabs);
    header(out, "presenced_live_records", "Records with at least one live tab.", "gauge");
    fmt::format_to(it, "presenced_live_records {}\n", live->records);
    header(out, "presenced_live_users", "Distinct users (per tenant) with at least one live tab.", "gauge");
    fmt::format_to(it, "presenced_live_users {}\n", live->users);
  }
}

}  // namespace presenced::metrics
