#pragma once
// What one user holds on this node, across every transport: a rate window (requests per
// minute, as Laravel's `throttle:N,1` counts them), open WebSockets, and live tabs on any
// record. The limits hold per user, not per socket or transport: a user who opens more
// sockets, or spreads tabs over more records, gets no more than one who does not.
//
// Per node, like the rate limit (docs/operations.md): a user's tabs registered through
// another node count there. Shared by all server threads: the table is split into shards
// with a mutex each, and a user's entry is touched once per heartbeat or socket.
//
// A tab is remembered by a 64-bit hash of its record and id, with a deadline one TTL
// after it was last heard from here: a tab that stops being renewed stops counting when
// it would expire, whether or not anyone tells the ledger. (Two tabs whose hashes
// collide count once: the limit is then one tab looser, never tighter.)

#include "presence/clock.hpp"
#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace presenced::service {

struct UserLimits {
  std::uint32_t requests_per_minute = 200;  // 0: no rate limit
  std::size_t sockets_per_user = 32;  // open WebSockets of one user (0: no limit)
  std::size_t tabs_per_user = 100;    // live tabs of one user on all records (0: no limit)
  std::int64_t ttl_ms = 90'000;       // how long an unrenewed tab counts
};

struct ThrottleDecision {
  bool allowed = true;
  std::uint32_t limit = 0;
  std::uint32_t remaining = 0;
  std::int64_t retry_after_s = 0;  // only when refused
  std::int64_t reset_unix = 0;     // only when refused
};

class UserLedger {
 public:
  UserLedger(UserLimits limits, const presence::Clock& clock, std::size_t shards = 64);
  ~UserLedger();

  const UserLimits& limits() const { return limits_; }

  bool rate_limited() const { return limits_.requests_per_minute > 0; }
  // One request of the user (any transport): within the window's budget, or refused.
  ThrottleDecision hit(const presence::User& user);

  // A socket of `user` opens: false (and nothing counted) when the user has
  // sockets_per_user open already. Each true is followed by one close_socket().
  bool open_socket(const presence::User& user);
  void close_socket(const presence::User& user);

  enum class TabAdmission { known, added, refused };
  // Before a heartbeat: a tab already counted is `known` (its deadline renewed); a new one
  // is `added` while the user has room, else `refused`. An added tab the store then does
  // not keep is given back with release_tab().
  TabAdmission admit_tab(const presence::User& user, presence::RecordRef record, std::string_view tab_id);
  void release_tab(const presence::User& user, presence::RecordRef record, std::string_view tab_id);
  // Every tab of the user in `tenant` (the server API's user removal).
  void release_user(std::string_view tenant, std::string_view user_id);

  // Users with an entry (a socket or a tab counted), for tests.
  std::size_t tracked() const;

 private:
  struct Shard;
  class Key;  // the user's "tenant, id" and its hash (user_ledger.cpp)
  Shard& shard_of(const Key& key);
  template <class R, class F>
  R with_entry(const Key& key, bool create, R absent, F&& f);
  UserLimits limits_;
  const presence::Clock& clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace presenced::service
