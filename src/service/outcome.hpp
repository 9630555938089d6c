#pragma once
// What a presence operation came to, for every transport: one list, and beside each entry
// what HTTP answers (status and message, in the envelope) and what a WebSocket is told
// (an error code and message). A new outcome is one row here; the transports write
// whatever the row says.

#include <cstdint>
#include <string_view>

namespace presenced::service {

enum class Outcome : std::uint8_t {
  ok,
  forbidden,          // the record is outside the token's scope
  rate_limited,       // over the user's --rate-limit
  tab_taken,          // the tab id is live and another user's
  record_full,        // a new tab over --max-tabs-per-record
  user_full,          // a new tab over --max-tabs-per-user (one record)
  user_tabs_full,     // a new tab over --max-user-tabs (all records)
  too_many_sockets,   // a socket over --max-sockets-per-user
  store_unavailable,  // the store could not be reached: nothing acknowledged
};

struct OutcomeText {
  unsigned http_status;
  std::string_view http_message;
  // A 422's field (the message is then that field's validation error); empty otherwise.
  std::string_view http_field;
  std::string_view ws_code;
  // The WebSocket's message; for `forbidden` it is followed by the record (" flow 42.").
  std::string_view ws_message;
};

constexpr OutcomeText text_of(Outcome o) {
  switch (o) {
    case Outcome::ok: return {200, "", "", "", ""};
    case Outcome::forbidden:
      return {403, "This action is unauthorized.", "", "forbidden", "The token's scope does not cover"};
    case Outcome::rate_limited:
      return {429, "Too Many Attempts.", "", "rate_limited", "Too many requests from this user. Slow down."};
    case Outcome::tab_taken:
      return {422, "The tab id has already been taken.", "tab_id", "tab_taken", "The tab id has already been taken."};
    case Outcome::record_full:
      return {429, "This record has too many open tabs.", "", "too_many_tabs", "This record has too many open tabs."};
    case Outcome::user_full:
      return {429, "You have too many tabs open on this record. Close some and try again.", "", "too_many_tabs",
              "You have too many tabs open on this record. Close some and try again."};
    case Outcome::user_tabs_full:
      return {429, "You have too many tabs open. Close some and try again.", "", "too_many_tabs",
              "You have too many tabs open. Close some and try again."};
    case Outcome::too_many_sockets:
      return {429, "Too many connections.", "", "too_many_sockets",
              "You have too many connections open. Close some tabs and try again."};
    case Outcome::store_unavailable:
      return {503, "The presence store is unavailable. Try again.", "", "store_unavailable",
              "The presence store is unavailable. Try again."};
  }
  return {500, "Server Error.", "", "error", "Server Error."};
}

}  // namespace presenced::service
