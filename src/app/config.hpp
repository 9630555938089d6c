#pragma once
// Command line and environment. Every flag is also read from PRESENCED_<FLAG>.

#include "store/redis/redis_url.hpp"
#include "pusher/apps.hpp"
#include "pusher/record_channel.hpp"
#include "webhook/webhook_url.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace presenced::app {

inline constexpr const char* kDevSecret = "presenced-dev-secret-not-for-production";
inline constexpr std::size_t kMinJwtSecretBytes = 32;

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string host = "127.0.0.1";  // parsed from listen
  std::uint16_t port = 8080;
  std::string jwt_secret;
  bool dev = false;
  std::int64_t presence_ttl_s = 90;
  std::uint32_t rate_limit = 200;  // per user per minute; 0 = off
  unsigned threads = 0;            // 0 = number of cores
  std::string store = "memory";                     // or redis://...
  std::optional<store::redis::RedisEndpoint> redis;  // parsed from store
  double store_timeout_s = 1.0;
  int store_wait_replicas = 0;  // WAIT for this many replicas before acknowledging a change
  double leave_grace_s = 1.5;
  std::int64_t ws_coalesce_ms = 75;
  std::size_t ws_max_subscriptions = 100;
  std::size_t ws_max_message = 16 * 1024;
  double ws_rate = 20;
  std::int64_t ws_idle_timeout_s = 40;
  std::string log_level = "info";
  std::string log_format = "text";  // or json
  // Limits (docs/operations.md).
  std::size_t max_connections = 0;  // 0: the open-file limit less a reserve
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  double read_timeout_s = 15;    // a whole request must arrive within this
  double idle_timeout_s = 75;    // a keep-alive connection with no request
  std::size_t token_cache = 10'000;  // verified tokens remembered, per thread
  // A room of 50 users with 8 tabs each must fit; docs/operations.md has the arithmetic.
  std::size_t max_tabs_per_record = 20'000;
  std::size_t max_tabs_per_user = 20;  // one user's tabs on one record
  std::size_t max_user_tabs = 100;       // one user's tabs on all records (per node); 0: off
  std::size_t max_sockets_per_user = 32;  // one user's WebSockets (per node); 0: off
  std::vector<std::string> cors_origins;
  std::string server_key;  // bearer secret of /api/v1/server/*; empty: the server API is off
  double shutdown_timeout_s = 10;
  bool require_store = false;
  std::string tls_cert;  // PEM chain; with tls_key, every connection is TLS
  std::string tls_key;
  std::string webhook_url;  // empty: no webhooks
  std::optional<webhook::WebhookTarget> webhook;  // parsed from webhook_url
  std::string webhook_secret;  // HMAC key of the webhook signature
  std::size_t webhook_queue = 10'000;  // events kept while the receiver is slow or down
  std::vector<std::string> pusher_app_texts;  // --pusher-app ID:KEY:SECRET, as given
  std::string pusher_apps_file;               // --pusher-apps-file: more apps, with origins and limits
  pusher::Apps pusher_apps;                   // parsed from both; none: no Pusher endpoint
  std::int64_t pusher_activity_timeout_s = 30;
  std::string pusher_record_channel{pusher::kDefaultRecordChannel};  // --pusher-record-channel
  pusher::RecordChannels pusher_records;                              // parsed from it
};

struct TokenConfig {
  std::string jwt_secret;
  std::string user;
  std::string name;
  std::string tenant;
  std::int64_t ttl_s = 3600;
  std::vector<std::string> scope;  // patterns; none: no scope claim (the whole tenant)
};

struct CommandLine {
  enum class Action { serve, token, exit } action = Action::serve;
  int exit_code = 0;  // for Action::exit (--help, --version, errors)
  ServeConfig serve;
  TokenConfig token;
};

// Parses argv and the environment. Prints help, version or a one-line error itself.
CommandLine parse_command_line(int argc, char** argv);

}  // namespace presenced::app
