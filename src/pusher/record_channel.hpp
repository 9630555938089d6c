#pragma once
// Which record a Pusher presence channel is (docs/pusher.md, record presence). A channel that
// matches the pattern (--pusher-record-channel, by default "presence-tenant.{tenant}.{type}.{id}")
// *is* that record's presence: its members are the record's viewers, whatever transport
// their tabs came by. Any other presence channel is a record of its own, in the app's id as
// tenant and the reserved type "_pusher", so its members have the same rules (one member per
// user, the leave grace, the limits) without touching an app record.

#include "pusher/apps.hpp"
#include "presence/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace presenced::pusher {

inline constexpr std::string_view kDefaultRecordChannel = "presence-tenant.{tenant}.{type}.{id}";
inline constexpr std::string_view kChannelRecordType = "_pusher";

struct ChannelRecord {
  std::string tenant, type, id;
  bool is_record = false;  // matched the pattern: an app record's, not the channel's own
  presence::RecordRef ref() const { return {tenant, type, id}; }
};

class RecordChannels {
 public:
  // `pattern`: "presence-" and text with {type} and {id} once each and {tenant} at most once
  // (without it, the app's id is the tenant), each followed by a character that cannot be in
  // a record path's segment, or by the end. Empty: no channel is a record's.
  // False, with `error`, when it is not such a pattern.
  bool set_pattern(std::string_view pattern, std::string& error);

  // The record of presence channel `channel` (which starts with "presence-") of `app`.
  ChannelRecord record_of(const App& app, std::string_view channel) const;
  // Only when it matches the pattern.
  std::optional<ChannelRecord> matched(const App& app, std::string_view channel) const;

 private:
  std::string pattern_;
};

}  // namespace presenced::pusher
