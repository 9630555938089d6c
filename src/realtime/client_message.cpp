#include "realtime/client_message.hpp"

#include <charconv>
#include <string>

namespace presenced::realtime {
namespace {

using Kind = presence::JsonField::Kind;
constexpr std::size_t kType = 0, kRecordType = 1, kRecordId = 2, kToken = 3, kHeartbeat = 4;
constexpr std::size_t kLimit = kHeartbeat + presence::kHeartbeatMembers, kEvents = kLimit + 1;

MessageType type_of(std::string_view t) {
  if (t == "auth") return MessageType::auth;
  if (t == "subscribe") return MessageType::subscribe;
  if (t == "unsubscribe") return MessageType::unsubscribe;
  if (t == "heartbeat") return MessageType::heartbeat;
  if (t == "leave") return MessageType::leave;
  return MessageType::unknown;
}

// record_type and record_id, as path segments of the HTTP API; an id may be a number.
void check_record(ClientMessage& m, presence::ValidationErrors& errors) {
  const presence::JsonField& type = m.fields[kRecordType];
  if (!type.is_present()) errors.add("record_type", "The record type field is required.");
  else if (type.kind != Kind::string || !presence::is_valid_segment(type.text))
    errors.add("record_type", "The record type field format is invalid.");
  else m.record_type = type.text;

  const presence::JsonField& id = m.fields[kRecordId];
  if (!id.is_present()) {
    errors.add("record_id", "The record id field is required.");
  } else if (id.kind == Kind::integer && id.integer >= 0) {
    auto [end, ec] = std::to_chars(m.id_digits, m.id_digits + sizeof m.id_digits, id.integer);
    m.record_id = std::string_view(m.id_digits, static_cast<std::size_t>(end - m.id_digits));
  } else if (id.kind != Kind::string || !presence::is_valid_segment(id.text)) {
    errors.add("record_id", "The record id field format is invalid.");
  } else {
    m.record_id = id.text;
  }
}

// subscribe's optional `limit` (0 to 1,000 entries in a list) and `events` ("diff" or "full").
void check_subscribe_options(ClientMessage& m, presence::ValidationErrors& errors) {
  const presence::JsonField& limit = m.fields[kLimit];
  if (limit.is_present()) {
    constexpr auto most = static_cast<std::int64_t>(presence::kMaxListed);
    if (limit.kind != Kind::integer || limit.integer < 0 || limit.integer > most) {
      errors.add("limit", "The limit field must be an integer between 0 and " + std::to_string(most) + ".");
    } else {
      m.options.limit = static_cast<std::uint32_t>(limit.integer);
    }
  }
  const presence::JsonField& events = m.fields[kEvents];
  if (events.is_present()) {
    if (events.kind == Kind::string && events.text == "full") m.options.full = true;
    else if (events.kind != Kind::string || events.text != "diff") errors.add("events", "The selected events is invalid.");
  }
}

}  // namespace

MessageStatus read_client_message(std::string_view text, ClientMessage& m, presence::ValidationErrors& errors) {
  if (m.fields.read(text) != presence::JsonFields::Status::object) return MessageStatus::malformed;
  const presence::JsonField& type = m.fields[kType];
  if (type.kind != Kind::string) return MessageStatus::malformed;
  m.type_name = type.text;
  m.type = type_of(type.text);
  switch (m.type) {
    case MessageType::auth:
      if (m.fields[kToken].kind != Kind::string || m.fields[kToken].text_size == 0 || m.fields[kToken].truncated) {
        errors.add("token", "The token field is required.");
      } else {
        m.token = m.fields[kToken].text;
      }
      break;
    case MessageType::subscribe:
      check_record(m, errors);
      check_subscribe_options(m, errors);
      break;
    case MessageType::unsubscribe: check_record(m, errors); break;
    case MessageType::heartbeat:
      check_record(m, errors);
      presence::check_heartbeat(m.fields.slice(kHeartbeat, presence::kHeartbeatMembers), m.heartbeat, errors);
      break;
    case MessageType::leave:
      check_record(m, errors);
      presence::check_tab_id(m.fields[kHeartbeat], m.heartbeat.tab_id, errors);
      break;
    case MessageType::unknown: break;
  }
  return errors.empty() ? MessageStatus::valid : MessageStatus::invalid;
}

}  // namespace presenced::realtime
