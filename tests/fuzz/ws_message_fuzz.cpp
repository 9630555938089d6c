// WebSocket client messages, and what arrives from other nodes through Redis pub/sub
// (channel names and saved notices).
#include "realtime/client_message.hpp"
#include "store/layout.hpp"
#include "store/redis/notice.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  realtime::ClientMessage m;
  presence::ValidationErrors errors;
  if (realtime::read_client_message(text, m, errors) == realtime::MessageStatus::valid &&
      (m.type == realtime::MessageType::subscribe || m.type == realtime::MessageType::heartbeat) &&
      (!presence::is_valid_segment(m.record_type) || !presence::is_valid_segment(m.record_id))) {
    __builtin_trap();  // a valid message names a record the key layout can hold
  }
  // Channel names and keys read back from Redis: only ours parse, and they re-encode
  // to the same text.
  if (auto record = store::layout::record_of_channel(text)) {
    if (!presence::is_valid_segment(record->tenant)) __builtin_trap();
    if (store::layout::channel_of(store::layout::redis_key(*record).view()) != text) __builtin_trap();
  }
  if (auto record = store::layout::record_of_redis_key(text)) {
    if (store::layout::redis_key(*record).view() != text) __builtin_trap();
  }
  (void)store::redis::decode_saved_notice(text);
  return 0;
}
