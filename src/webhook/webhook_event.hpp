#pragma once
// What a webhook says and how it is signed (docs/webhooks.md):
//
//   POST <url>
//   Content-Type: application/json
//   X-Presenced-Event: record.occupied
//   X-Presenced-Timestamp: 1764451200            (unix seconds, of this attempt)
//   X-Presenced-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
//   {"id":"...","event":"record.occupied","tenant_id":1,"record_type":"flow",
//    "record_id":"42","occurred_at":"2026-11-29T22:41:07.123Z"}
//
// The signature covers the timestamp, so a receiver can refuse replays of old deliveries;
// each retry is signed again with its own time. Stripe's and Slack's webhooks are signed
// the same way, so receivers know how to check it.

#include "presence/types.hpp"
#include "store/presence_store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::webhook {

std::string_view event_name(store::Occupancy change);

// The JSON body. `id` identifies the event (the same on every retry): receivers use it to
// ignore a delivery they already have. tenant_id is a number when it is all digits, as the
// host app's ids are (and as the server API takes it).
std::string event_body(std::string_view id, store::Occupancy change, const presence::RecordRef& record,
                       std::int64_t occurred_unix_ms);

// "v1=" and the hex HMAC-SHA256 of `timestamp` "." `body` under `secret`.
std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body);

// Lower-case hex of `size` bytes.
std::string to_hex(const unsigned char* bytes, std::size_t size);

}  // namespace presenced::webhook
