#pragma once
// What this node knows of a record it watches on Redis (it has WebSocket subscribers
// there): the record's live tabs, kept from the notices the scripts publish
// (notice.hpp), so that a change costs this node the change instead of a read of the
// whole room. The record is read in full (begin_read ... finish_read) only where the
// notices cannot be trusted to be complete (docs/redis.md, "Pushes across nodes"):
//   - until this node listens on the record's channel, and after it stopped listening
//     (a lost connection, a slot that moved): notices may have gone unheard;
//   - once a tab's known deadline has passed: a renewal publishes nothing, so only Redis
//     tells whether the tab was renewed or has expired. That asks only about the due tabs
//     (doubt() names them, begin_check ... finish_check takes the answer), and the node
//     that finds one expired removes it and publishes the removal, so that an expiry costs
//     its own size, not a read of the room;
//   - a third of the TTL after the last read (at most kFreshForMs): the host app writes
//     tabs and publishes nothing, and renews them as often (its pages beat every third);
//   - after a notice that says only "changed", or one that cannot be read, or one that
//     would take the mirror past the record's tab cap.
// A read's answer is taken with every notice heard while it was under way applied on top,
// in order: each notice sets or removes one tab, so whatever the read already saw, the
// last notice of each tab leaves it as Redis has it.
//
// No I/O and no threads here: the store keeps one per watched record, on the thread that
// watches it, and feeds it what it hears and reads.

#include "presence/aggregation.hpp"
#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "presence/user_tally.hpp"
#include "store/redis/notice.hpp"
#include "store/presence_store.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace presenced::store::redis {

class RoomMirror {
 public:
  static constexpr std::int64_t kFreshForMs = 30'000;
  // Notices heard during one read, kept to be applied over its answer; past this the
  // read's answer is not trusted (another read follows).
  static constexpr std::size_t kMaxHeardDuringRead = 4096;

  // `tenant`: the record's; `max_tabs`: the record's tab cap; `ttl_ms`: a tab's life
  // after it was last seen.
  RoomMirror(std::string tenant, std::size_t max_tabs, std::int64_t ttl_ms);
  RoomMirror(const RoomMirror&) = delete;  // order_ points into tabs_ (a move keeps its nodes)
  RoomMirror(RoomMirror&&) = default;

  // The subscription to the record's channel is confirmed (true) or lost (false).
  void listening(bool on);
  // What is known is not to be used until the next read (the store saw it out of step).
  void forget() { distrust(); }
  // A notice heard on the record's channel: a tab's, or "changed" (saves go to saved()).
  void heard(std::string_view payload);
  void saved(std::uint32_t lock_version);

  // Tabs whose deadlines passed at once, past which a read of the whole record is cheaper
  // than asking about each.
  static constexpr std::size_t kMaxDueChecked = 64;

  // Whether what is known can be trusted at `now_ms`: none (yes), due (only once the tabs
  // put in `due` have been checked) or all (read the record in full).
  enum class Doubt { none, due, all };
  Doubt doubt(std::int64_t now_ms, std::vector<std::string>* due = nullptr) const;

  // The viewers (everyone) and the record's state from what is known, when that can be
  // trusted at `now_ms` (doubt() is none); false: it cannot. `state.next_expiry_ms` is
  // then how long until the answer must be had from Redis again.
  bool answer(std::int64_t now_ms, std::vector<presence::Viewer>& out, RecordState& state);

  // A check of the due tabs: begin_check() just before it is sent, finish_check() with its
  // answer (for each of `due`, in order, its entry packed as a read's, or empty: gone) or
  // abandon_check() without one. A tab heard of while the check was under way keeps what
  // was heard (it is as new as the check's answer or newer); a check that crossed a full
  // read or a notice that made the mirror doubt everything is not taken (false).
  std::uint64_t begin_check();
  bool finish_check(std::uint64_t check, std::span<const std::string> due, std::span<const std::string_view> found);
  void abandon_check();

  // A full read: begin_read() just before it is sent, finish_read() with its answer (the
  // live entries; `seen` empty for an entry in presenced's own format, whose stamp is in
  // its value) or abandon_read() without one. Then roll_up() gives the answer, trusted or not.
  struct ReadEntry {
    std::string_view tab_id, joined, seen, value;
  };
  // One entry of the room script's answer, "<n>:<tab id><joined>:<seen>:<value>"
  // (scripts.cpp), or none when it is not one.
  static std::optional<ReadEntry> unpack(std::string_view packed);
  std::uint64_t begin_read();
  // False, and nothing taken, when `read` is not the read under way.
  bool finish_read(std::uint64_t read, std::span<const ReadEntry> entries, std::uint32_t saved_version,
                   std::int64_t now_ms);
  void abandon_read(std::uint64_t read);
  void roll_up(std::int64_t now_ms, std::vector<presence::Viewer>& out, RecordState& state);

  // A page of what `caller` sees (everyone else, in join order: `offset` users skipped, at
  // most `limit` kept) and the totals, everyone counted: at the page's cost (PageBuilder
  // over the join order, the tally's totals). Only when doubt() is none.
  void page(const presence::User& caller, std::size_t offset, std::size_t limit, std::vector<presence::Viewer>& out,
            presence::Totals& totals) const;

  bool trusted() const { return trusted_; }
  std::size_t tabs() const { return tabs_.size(); }

 private:
  struct Tab {
    std::string_view id;    // its key in tabs_ (a node's key does not move)
    presence::Person user;  // not a whole User: its tenant is the record's, its scope unused
    std::string field;
    presence::Mode mode = presence::Mode::view;
    bool dirty = false;
    presence::Activity activity = presence::Activity::active;
    std::uint32_t lock_version = presence::kNoLockVersion;
    std::uint64_t joined = 0;
    std::int64_t deadline_ms = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Sets tab `id` from `value`; false when the entry cannot be read, or (`in_order`: a
  // notice's, kept in join order at once) when a new tab would pass the cap.
  bool put(std::string_view id, std::string_view joined, std::int64_t seen_ms, std::string_view value, bool in_order);
  void remove(std::string_view id);
  void apply(const std::optional<TabNotice>& notice);
  void distrust();
  void close_check();
  void unlink(const Tab* tab);
  void link(const Tab* tab);

  std::string tenant_;
  std::size_t max_tabs_;
  std::int64_t ttl_ms_;
  std::int64_t fresh_for_ms_;
  std::unordered_map<std::string, Tab, Hash, std::equal_to<>> tabs_;
  std::vector<const Tab*> order_;  // by join time
  presence::UserTally users_;      // each user's tabs in tabs_
  std::uint32_t saved_version_ = presence::kNoLockVersion;
  std::int64_t fresh_until_ms_ = 0;
  bool listening_ = false;
  bool trusted_ = false;
  std::uint64_t epoch_ = 0;    // bumped by whatever makes the notices incomplete
  std::uint64_t reading_ = 0;  // the read under way (0: none), and the epoch it began in
  std::uint64_t read_epoch_ = 0;
  std::uint64_t reads_ = 0;
  std::vector<std::string> heard_during_read_;
  bool overflowed_ = false;
  std::uint64_t generation_ = 0;  // new at each full read and distrust: checks begun before are not taken
  std::size_t checks_open_ = 0;
  std::vector<std::string> heard_during_checks_;  // tab ids, while checks are open
  bool checks_overflowed_ = false;
};

}  // namespace presenced::store::redis
