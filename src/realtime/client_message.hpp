#pragma once
// Client messages of the WebSocket protocol (docs/protocol.md), read and validated in one
// pass like HTTP bodies: a JSON object with a `type`, and the members that type needs.

#include "presence/json_fields.hpp"
#include "presence/types.hpp"
#include "presence/validation.hpp"
#include "fanout/events.hpp"

#include <string_view>

namespace presenced::realtime {

enum class MessageType { auth, subscribe, unsubscribe, heartbeat, leave, unknown };

struct ClientMessage {
  presence::JsonFields fields{"type", "record_type", "record_id", "token", PRESENCED_HEARTBEAT_MEMBERS, "limit", "events"};
  MessageType type = MessageType::unknown;
  std::string_view type_name;
  std::string_view record_type, record_id;  // subscribe, unsubscribe, heartbeat, leave
  std::string_view token;                   // auth
  presence::HeartbeatInput heartbeat;       // heartbeat; leave uses its tab_id
  fanout::SubscribeOptions options;                 // subscribe: `limit` and `events`
  char id_digits[24];                       // a numeric record_id, as text
};

enum class MessageStatus { valid, malformed, invalid };

// `errors` says what is wrong with an invalid message, in the HTTP API's words.
MessageStatus read_client_message(std::string_view text, ClientMessage& m, presence::ValidationErrors& errors);

}  // namespace presenced::realtime
