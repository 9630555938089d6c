#include "service/user_ledger.hpp"

#include "service/tab_deadlines.hpp"

#include "presence/validation.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <mutex>
#include <string>

namespace presenced::service {
namespace {

// A rate window as Laravel's `throttle:N,1` counts it: it opens at the user's first
// request and lasts a minute; within it the first N pass.
constexpr std::int64_t kWindowMs = 60'000;

struct Entry {
  std::int64_t window_opened_ms = INT64_MIN / 2;  // none open
  std::uint32_t hits = 0;
  std::uint32_t sockets = 0;
  // The user's tabs: hash of record and tab id -> deadline (monotonic ms). Expired ones
  // are dropped when room is needed.
  TabDeadlines tabs;
  // Nothing worth keeping: no socket, no tab, no open rate window.
  bool empty(std::int64_t now) const { return sockets == 0 && tabs.empty() && now - window_opened_ms >= kWindowMs; }
};

// The record's and the tab id's hash, from one pass over their text laid end to end on
// the stack (each is validated to its bound; longer text, which none is, is cut there):
// no allocation on the heartbeat path. (The user's tenant is in the entry's key.)
std::uint64_t tab_hash(presence::RecordRef record, std::string_view tab_id) {
  char text[2 * (presence::kMaxSegment + 1) + presence::kMaxTabId];
  char* p = text;
  for (std::string_view part : {record.type.substr(0, presence::kMaxSegment), record.id.substr(0, presence::kMaxSegment)}) {
    p = std::copy(part.begin(), part.end(), p);
    *p++ = '\x1f';
  }
  tab_id = tab_id.substr(0, presence::kMaxTabId);
  p = std::copy(tab_id.begin(), tab_id.end(), p);
  return std::hash<std::string_view>{}(std::string_view(text, static_cast<std::size_t>(p - text)));
}

}  // namespace

// "tenant\x1f user id", on the stack: a tenant is a segment (no \x1f in it), and a
// token's user id is at most kMaxUserIdBytes. A longer id (none comes from a token) is
// cut at the bound, never written past it. Hashed once: the hash picks the shard and
// finds the entry in it.
class UserLedger::Key {
 public:
  Key(std::string_view tenant, std::string_view id) {
    tenant = tenant.substr(0, presence::kMaxSegment);
    id = id.substr(0, presence::kMaxUserIdBytes);
    char* p = std::copy(tenant.begin(), tenant.end(), buf_);
    *p++ = '\x1f';
    p = std::copy(id.begin(), id.end(), p);
    size_ = static_cast<std::size_t>(p - buf_);
    hash_ = std::hash<std::string_view>{}(view());
  }
  explicit Key(const presence::User& u) : Key(u.tenant, u.id) {}
  std::string_view view() const { return {buf_, size_}; }
  std::size_t hash() const { return hash_; }

 private:
  char buf_[presence::kMaxSegment + 1 + presence::kMaxUserIdBytes];
  std::size_t size_;
  std::size_t hash_;
};

struct UserLedger::Shard {
  // A stored key keeps its hash: a lookup by Key hashes nothing again.
  struct StoredKey {
    std::string text;
    std::size_t hash;
  };
  static std::string_view text_of(const StoredKey& k) { return k.text; }
  static std::string_view text_of(const Key& k) { return k.view(); }
  struct KeyHash {
    using is_transparent = void;
    using is_avalanching = void;  // std::hash of text is well mixed: taken as it is
    std::size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
    std::size_t operator()(const Key& k) const noexcept { return k.hash(); }
  };
  struct KeyEqual {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept { return text_of(a) == text_of(b); }
  };

  std::mutex mutex;
  using Users = boost::unordered_flat_map<StoredKey, Entry, KeyHash, KeyEqual>;
  Users users;
  std::size_t size_after_sweep = 0;

  // Forgets the tabs past their deadline; then, when the table has doubled since its last
  // sweep, the users left with nothing (O(1) amortised).
  static void prune(Entry& e, std::int64_t now) {
    e.tabs.prune(now);
  }
  void sweep(std::int64_t now) {
    if (users.size() < 2 * size_after_sweep + 1024) return;
    boost::unordered::erase_if(users, [&](auto& kv) {
      prune(kv.second, now);
      return kv.second.empty(now);
    });
    size_after_sweep = users.size();
  }
  void drop_if_empty(Users::iterator it, std::int64_t now) {
    if (it->second.empty(now)) users.erase(it);
  }
  // The user's entry, made if new.
  void entry(const Key& key, Users::iterator& it) {
    it = users.find(key);
    if (it == users.end()) it = users.try_emplace(StoredKey{std::string(key.view()), key.hash()}).first;
  }
};

UserLedger::UserLedger(UserLimits limits, const presence::Clock& clock, std::size_t shards)
    : limits_(limits), clock_(clock) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

UserLedger::~UserLedger() = default;

// Bits from the middle of the hash: the table inside the shard uses its high bits for the
// place and its low bits for the match byte, which the shard's choice would otherwise
// make all alike.
UserLedger::Shard& UserLedger::shard_of(const Key& key) { return *shards_[(key.hash() >> 24) % shards_.size()]; }

// Runs `f(entry, now)` under the lock of the user's shard, on the user's entry (made when
// `create`; when there is none and `create` is false, returns `absent` without running
// `f`), then forgets the entry if it holds nothing any more.
template <class R, class F>
R UserLedger::with_entry(const Key& key, bool create, R absent, F&& f) {
  const std::int64_t now = clock_.monotonic_ms();
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mutex);
  Shard::Users::iterator it;
  if (create) {
    s.sweep(now);  // before the lookup: a sweep moves entries
    s.entry(key, it);
  } else if (it = s.users.find(key); it == s.users.end()) {
    return absent;
  }
  R result = f(it->second, now);
  s.drop_if_empty(it, now);
  return result;
}

ThrottleDecision UserLedger::hit(const presence::User& user) {
  ThrottleDecision d;
  d.limit = limits_.requests_per_minute;
  return with_entry(Key(user), true, d, [&](Entry& e, std::int64_t now) {
    if (now - e.window_opened_ms >= kWindowMs) {
      e.window_opened_ms = now;
      e.hits = 0;
    }
    if (e.hits >= limits_.requests_per_minute) {
      const std::int64_t left_ms = kWindowMs - (now - e.window_opened_ms);
      d.allowed = false;
      d.retry_after_s = (left_ms + 999) / 1000;
      d.reset_unix = clock_.unix_seconds() + d.retry_after_s;
      return d;
    }
    ++e.hits;
    d.remaining = limits_.requests_per_minute - e.hits;
    return d;
  });
}

bool UserLedger::open_socket(const presence::User& user) {
  return with_entry(Key(user), true, false, [&](Entry& e, std::int64_t) {
    if (limits_.sockets_per_user > 0 && e.sockets >= limits_.sockets_per_user) return false;
    ++e.sockets;
    return true;
  });
}

void UserLedger::close_socket(const presence::User& user) {
  with_entry(Key(user), false, false, [](Entry& e, std::int64_t) {
    if (e.sockets > 0) --e.sockets;
    return true;
  });
}

UserLedger::TabAdmission UserLedger::admit_tab(const presence::User& user, presence::RecordRef record,
                                               std::string_view tab_id) {
  const std::uint64_t hash = tab_hash(record, tab_id);
  return with_entry(Key(user), true, TabAdmission::refused, [&](Entry& e, std::int64_t now) {
    if (std::int64_t* deadline = e.tabs.find(hash)) {
      // Known, or known and expired since (coming back): counted once either way.
      const bool live = *deadline > now;
      *deadline = now + limits_.ttl_ms;
      return live ? TabAdmission::known : TabAdmission::added;
    }
    if (limits_.tabs_per_user > 0 && e.tabs.size() >= limits_.tabs_per_user) {
      Shard::prune(e, now);  // only when room is needed: a renewal never walks the tabs
      if (e.tabs.size() >= limits_.tabs_per_user) return TabAdmission::refused;
    }
    e.tabs.add(hash, now + limits_.ttl_ms);
    return TabAdmission::added;
  });
}

void UserLedger::release_tab(const presence::User& user, presence::RecordRef record, std::string_view tab_id) {
  const std::uint64_t hash = tab_hash(record, tab_id);
  with_entry(Key(user), false, false, [&](Entry& e, std::int64_t) { return e.tabs.erase(hash); });
}

void UserLedger::release_user(std::string_view tenant, std::string_view user_id) {
  with_entry(Key(tenant, user_id), false, false, [](Entry& e, std::int64_t) {
    e.tabs.clear();
    return true;
  });
}

std::size_t UserLedger::tracked() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->users.size();
  }
  return n;
}

}  // namespace presenced::service
