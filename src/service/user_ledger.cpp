#include "service/user_ledger.hpp"

#include "presence/validation.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

namespace presenced::service {
namespace {

struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct TabPlace {
  std::uint64_t hash;
  std::int64_t deadline_ms;
};

struct Entry {
  std::uint32_t sockets = 0;
  std::vector<TabPlace> tabs;
  bool empty() const { return sockets == 0 && tabs.empty(); }
};

// "tenant\x1f user id", on the stack: a tenant is a segment (no \x1f in it), and a
// token's user id is at most kMaxUserIdBytes. A longer id (none comes from a token) is
// cut at the bound, never written past it.
class UserKey {
 public:
  UserKey(std::string_view tenant, std::string_view id) {
    tenant = tenant.substr(0, presence::kMaxSegment);
    id = id.substr(0, presence::kMaxUserIdBytes);
    char* p = std::copy(tenant.begin(), tenant.end(), buf_);
    *p++ = '\x1f';
    p = std::copy(id.begin(), id.end(), p);
    size_ = static_cast<std::size_t>(p - buf_);
  }
  explicit UserKey(const presence::User& u) : UserKey(u.tenant, u.id) {}
  std::string_view view() const { return {buf_, size_}; }

 private:
  char buf_[presence::kMaxSegment + 1 + presence::kMaxUserIdBytes];
  std::size_t size_;
};

// FNV-1a over the record and the tab id, without building their text: no allocation on
// the heartbeat path.
std::uint64_t tab_hash(presence::RecordRef record, std::string_view tab_id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](std::string_view part) {
    for (unsigned char c : part) h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL;  // a separator no part contains (0xff is never UTF-8)
  };
  mix(record.type);
  mix(record.id);
  mix(tab_id);
  return h;
}

}  // namespace

struct UserLedger::Shard {
  std::mutex mutex;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> users;
  std::size_t size_after_sweep = 0;

  // Forgets the tabs past their deadline; then, when the table has doubled since its last
  // sweep, the users left with nothing (O(1) amortised, like the throttle's).
  void prune(Entry& e, std::int64_t now) {
    std::erase_if(e.tabs, [&](const TabPlace& t) { return t.deadline_ms <= now; });
  }
  void sweep(std::int64_t now) {
    if (users.size() < 2 * size_after_sweep + 1024) return;
    for (auto it = users.begin(); it != users.end();) {
      prune(it->second, now);
      it = it->second.empty() ? users.erase(it) : std::next(it);
    }
    size_after_sweep = users.size();
  }
  void drop_if_empty(decltype(users)::iterator it) {
    if (it->second.empty()) users.erase(it);
  }
};

UserLedger::UserLedger(UserLimits limits, const presence::Clock& clock, std::size_t shards)
    : limits_(limits), clock_(clock) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

UserLedger::~UserLedger() = default;

UserLedger::Shard& UserLedger::shard_of(std::string_view key) { return *shards_[Hash{}(key) % shards_.size()]; }

bool UserLedger::open_socket(const presence::User& user) {
  const UserKey key(user);
  Shard& s = shard_of(key.view());
  std::lock_guard lock(s.mutex);
  s.sweep(clock_.monotonic_ms());
  auto it = s.users.find(key.view());
  if (it == s.users.end()) it = s.users.try_emplace(std::string(key.view())).first;
  if (limits_.sockets_per_user > 0 && it->second.sockets >= limits_.sockets_per_user) {
    s.drop_if_empty(it);
    return false;
  }
  ++it->second.sockets;
  return true;
}

void UserLedger::close_socket(const presence::User& user) {
  const UserKey key(user);
  Shard& s = shard_of(key.view());
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(key.view());
  if (it == s.users.end() || it->second.sockets == 0) return;
  --it->second.sockets;
  s.drop_if_empty(it);
}

UserLedger::TabAdmission UserLedger::admit_tab(const presence::User& user, presence::RecordRef record,
                                               std::string_view tab_id) {
  const UserKey key(user);
  const std::uint64_t hash = tab_hash(record, tab_id);
  const std::int64_t now = clock_.monotonic_ms();
  Shard& s = shard_of(key.view());
  std::lock_guard lock(s.mutex);
  s.sweep(now);
  auto it = s.users.find(key.view());
  if (it == s.users.end()) it = s.users.try_emplace(std::string(key.view())).first;
  Entry& e = it->second;
  s.prune(e, now);
  const auto known = std::find_if(e.tabs.begin(), e.tabs.end(), [&](const TabPlace& t) { return t.hash == hash; });
  if (known != e.tabs.end()) {
    known->deadline_ms = now + limits_.ttl_ms;
    return TabAdmission::known;
  }
  if (limits_.tabs_per_user > 0 && e.tabs.size() >= limits_.tabs_per_user) {
    s.drop_if_empty(it);
    return TabAdmission::refused;
  }
  e.tabs.push_back({hash, now + limits_.ttl_ms});
  return TabAdmission::added;
}

void UserLedger::release_tab(const presence::User& user, presence::RecordRef record, std::string_view tab_id) {
  const UserKey key(user);
  const std::uint64_t hash = tab_hash(record, tab_id);
  Shard& s = shard_of(key.view());
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(key.view());
  if (it == s.users.end()) return;
  std::erase_if(it->second.tabs, [&](const TabPlace& t) { return t.hash == hash; });
  s.drop_if_empty(it);
}

void UserLedger::release_user(std::string_view tenant, std::string_view user_id) {
  const UserKey key(tenant, user_id);
  Shard& s = shard_of(key.view());
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(key.view());
  if (it == s.users.end()) return;
  it->second.tabs.clear();
  s.drop_if_empty(it);
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
