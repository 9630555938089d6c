#pragma once
// A WebSocket client for integration tests (Beast's), over a real socket: messages are
// waited for with deadlines, never with fixed sleeps.

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace presenced::testing {

class WsClient {
 public:
  using Predicate = std::function<bool(const boost::json::value&)>;

  // Connects to /api/v1/presence/ws (with ?token= when `token` is not empty) and upgrades.
  explicit WsClient(std::uint16_t port, const std::string& token = "");
  // Connects to `target` (a path and query: another WebSocket endpoint, e.g. /app/{key}).
  struct Target {
    std::string path;
  };
  WsClient(std::uint16_t port, const Target& target);
  ~WsClient();

  // 101 when the upgrade succeeded; otherwise the HTTP status the server answered.
  unsigned handshake_status() const;
  bool open() const;

  void send(const std::string& text);

  // The next message, or nothing after `timeout` (or once the socket is closed).
  std::optional<boost::json::value> next(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Reads until a message satisfies `wanted` (others are skipped), or nothing after `timeout`.
  std::optional<boost::json::value> wait_for(const Predicate& wanted,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next message of `type` (e.g. "presence", "error").
  std::optional<boost::json::value> wait_type(const std::string& type,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Waits for the server to close the socket; the close code, or nothing after `timeout`.
  std::optional<int> wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Closes the TCP connection without a close frame, as a killed browser tab does.
  void drop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Messages are checked often enough by type and record: helpers for predicates.
bool is_presence(const boost::json::value& m, const std::string& record_id);  // a snapshot or full list
bool is_diff(const boost::json::value& m, const std::string& record_id);      // presence_diff
// Whether a diff's `joined` or `updated` entries include the user `id` (a numeric id).
bool diff_names(const boost::json::value& m, std::int64_t id);

}  // namespace presenced::testing
