#pragma once
// A Pusher presence channel's member: read from the channel_data a subscriber's app signed,
// and written into the frames the channel's members are told (subscription_succeeded's
// presence hash, member_added, member_removed), from the members of the record's events
// (fanout::Member, written once per change for every receiver).

#include "fanout/events.hpp"
#include "presence/identity.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::pusher {

// channel_data: {"user_id": a string of 1 to 128 bytes or an integer, "user_info"?: an
// object of at most 1 KiB}. The user is of `tenant`; their name and avatar are user_info's
// "name" and "avatar_url" when usable (what /viewers and the native protocol show).
// None, with `error` saying why, when it is not such a text.
std::optional<presence::User> read_member(std::string_view channel_data, std::string_view tenant, std::string& error);

// pusher_internal:subscription_succeeded of a presence channel: {"presence":{"count","ids","hash"}}
// of `members`, with `me` added when the event predates their own arrival (a store that tells
// changes a little later).
std::string subscription_succeeded_frame(std::string_view channel, const std::vector<fanout::Member>& members,
                                         const fanout::Member& me);
std::string member_added_frame(std::string_view channel, const fanout::Member& member);
std::string member_removed_frame(std::string_view channel, std::string_view user_id);

// presenced's own events on a record's channel (docs/pusher.md): the native protocol's
// presence, presence_diff and saved messages as the data, for Echo's
// .listen('.presenced.presence_diff') and the browser library's Echo transport.
inline constexpr std::string_view kRecordSnapshotEvent = "presenced.presence";
inline constexpr std::string_view kRecordDiffEvent = "presenced.presence_diff";
inline constexpr std::string_view kRecordSavedEvent = "presenced.saved";
// {"event":..,"channel":..,"data":<escaped_data>}, the data already a JSON string literal.
std::string escaped_data_frame(std::string_view event, std::string_view channel, std::string_view escaped_data);

}  // namespace presenced::pusher
