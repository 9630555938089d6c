#include "store/memory/memory_store.hpp"

#include "presence/aggregation.hpp"
#include "presence/validation.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <functional>

namespace presenced::store::memory {
namespace {

struct Tab {
  TabId id;
  std::int64_t deadline_ms = 0;
  presence::UserPtr user;  // shared with the token cache and the user's other tabs
  OptionalName field;
  std::uint32_t joined = 0;
  presence::Mode mode = presence::Mode::view;
  bool dirty = false;
};
static_assert(sizeof(Tab) <= 64, "a tab is the unit of memory that grows with users");

struct Record {
  std::vector<Tab> tabs;  // in join order
  WheelHook wheel_hook;
  std::int64_t wheel_deadline_ms = 0;
  const std::string* key = nullptr;  // the map's own key, to erase the record from the wheel
  std::uint32_t next_join = 0;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// "tenant:type:id". Parts are [A-Za-z0-9_-], so ':' cannot occur inside one.
class RecordKey {
 public:
  explicit RecordKey(const presence::RecordRef& r) {
    char* p = buf_;
    for (std::string_view part : {r.tenant, r.type, r.id}) {
      if (p != buf_) *p++ = ':';
      p = std::copy(part.begin(), part.end(), p);
    }
    size_ = static_cast<std::size_t>(p - buf_);
  }
  std::string_view view() const { return {buf_, size_}; }

 private:
  char buf_[3 * presence::kMaxSegment + 2];
  std::size_t size_;
};

presence::RecordRef split_key(std::string_view key) {
  auto a = key.find(':');
  auto b = key.find(':', a + 1);
  return {key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
}

// Grow one tab at a time while records are small: most have one to three tabs, and
// doubling would leave a quarter of the memory unused.
void reserve_one_more(std::vector<Tab>& tabs) {
  if (tabs.size() == tabs.capacity() && tabs.size() < 16) tabs.reserve(tabs.size() + 1);
}

std::vector<Tab>::iterator find_tab(std::vector<Tab>& tabs, std::string_view tab_id) {
  return std::find_if(tabs.begin(), tabs.end(), [&](const Tab& t) { return t.id == tab_id; });
}

// An expiry seen under the lock, reported to the observer after it is released.
struct PendingExpiry {
  std::string key;
  std::string tab_id;
  presence::UserPtr user;
};

}  // namespace

struct MemoryStore::Shard {
  Shard(const MemoryStoreOptions& o, std::int64_t now_ms) : wheel(o.tick_ms, 512, now_ms) {}

  std::mutex mutex;
  std::unordered_map<std::string, Record, StringHash, std::equal_to<>> records;
  ExpiryWheel<Record> wheel;
  std::size_t tabs = 0;
};

MemoryStore::MemoryStore(MemoryStoreOptions options, const presence::Clock& clock)
    : options_(options), clock_(clock) {
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(options_, clock_.monotonic_ms()));
  }
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shard_for(std::string_view key) {
  return *shards_[StringHash{}(key) % shards_.size()];
}

HeartbeatResult MemoryStore::apply_heartbeat(presence::RecordRef record, const presence::UserPtr& user,
                                             const presence::HeartbeatInput& in) {
  RecordKey key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  const std::int64_t deadline = now + options_.ttl_ms;
  HeartbeatResult result;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.records.find(key.view());
    if (it == shard.records.end()) {
      it = shard.records.try_emplace(std::string(key.view())).first;
      it->second.key = &it->first;
      shard.wheel.schedule(it->second, deadline);
    }
    Record& r = it->second;
    auto tab = find_tab(r.tabs, in.tab_id);
    if (tab != r.tabs.end() && tab->deadline_ms > now) {
      if (!presence::same_user(*tab->user, *user)) return HeartbeatResult::not_owner;
      bool changed = tab->mode != in.mode || tab->dirty != in.dirty;
      changed |= tab->field.assign(in.active_field);
      tab->mode = in.mode;
      tab->dirty = in.dirty;
      tab->deadline_ms = deadline;
      if (tab->user != user) tab->user = user;  // a newer token may carry a new name
      result = changed ? HeartbeatResult::updated : HeartbeatResult::renewed;
    } else {
      // New, or expired but not yet swept: either way it joins now, at the end of the order.
      if (tab != r.tabs.end()) {
        r.tabs.erase(tab);
        --shard.tabs;
      }
      reserve_one_more(r.tabs);
      Tab& t = r.tabs.emplace_back();
      t.id = TabId(in.tab_id);
      t.deadline_ms = deadline;
      t.user = user;
      t.field.assign(in.active_field);
      t.joined = r.next_join++;
      t.mode = in.mode;
      t.dirty = in.dirty;
      ++shard.tabs;
      result = HeartbeatResult::joined;
    }
  }
  if (observer_ && result != HeartbeatResult::renewed) {
    observer_->on_change({record, in.tab_id, user.get(),
                          result == HeartbeatResult::joined ? ChangeKind::joined : ChangeKind::updated});
  }
  return result;
}

UnregisterResult MemoryStore::apply_unregister(presence::RecordRef record, const presence::User& user,
                                               std::string_view tab_id) {
  RecordKey key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  presence::UserPtr owner;  // keeps the user alive for the observer after the tab is gone
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.records.find(key.view());
    if (it == shard.records.end()) return UnregisterResult::absent;
    Record& r = it->second;
    auto tab = find_tab(r.tabs, tab_id);
    if (tab == r.tabs.end() || tab->deadline_ms <= now) return UnregisterResult::absent;
    if (!presence::same_user(*tab->user, user)) return UnregisterResult::not_owner;
    owner = std::move(tab->user);
    r.tabs.erase(tab);
    --shard.tabs;
    if (r.tabs.empty()) shard.records.erase(it);
  }
  if (observer_) observer_->on_change({record, tab_id, owner.get(), ChangeKind::left});
  return UnregisterResult::removed;
}

void MemoryStore::read_viewers(presence::RecordRef record, const presence::User& caller,
                               std::vector<presence::Viewer>& out) {
  RecordKey key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  thread_local std::vector<presence::TabView> live;
  live.clear();
  std::lock_guard lock(shard.mutex);
  auto it = shard.records.find(key.view());
  if (it != shard.records.end()) {
    for (const Tab& t : it->second.tabs) {
      if (t.deadline_ms > now) live.push_back({t.user.get(), t.mode, t.dirty, t.joined});
    }
  }
  // Aggregated under the lock: the tabs own the users the views point at.
  presence::aggregate_viewers(live, caller, out);
}

std::size_t MemoryStore::expire_due() {
  const std::int64_t now = clock_.monotonic_ms();
  std::size_t expired = 0;
  std::vector<PendingExpiry> pending;
  for (auto& shard_ptr : shards_) {
    Shard& shard = *shard_ptr;
    std::lock_guard lock(shard.mutex);
    shard.wheel.advance(now, [&](Record& r) {
      std::int64_t next = INT64_MAX;
      std::erase_if(r.tabs, [&](Tab& t) {
        if (t.deadline_ms > now) {
          next = std::min(next, t.deadline_ms);
          return false;
        }
        if (observer_) pending.push_back({*r.key, std::string(t.id.view()), std::move(t.user)});
        ++expired;
        --shard.tabs;
        return true;
      });
      if (r.tabs.empty()) {
        shard.records.erase(*r.key);  // frees the record; it is no longer in the wheel
      } else {
        if (r.tabs.capacity() > 2 * r.tabs.size()) r.tabs.shrink_to_fit();
        shard.wheel.schedule(r, next);
      }
    });
  }
  for (const auto& e : pending) {
    observer_->on_change({split_key(e.key), e.tab_id, e.user.get(), ChangeKind::expired});
  }
  return expired;
}

MemoryStoreStats MemoryStore::stats() const {
  MemoryStoreStats s;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    s.records += shard->records.size();
    s.tabs += shard->tabs;
  }
  return s;
}

boost::asio::awaitable<HeartbeatResult> MemoryStore::heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                               presence::HeartbeatInput tab) {
  co_return apply_heartbeat(record, user, tab);
}

boost::asio::awaitable<UnregisterResult> MemoryStore::unregister(presence::RecordRef record,
                                                                 const presence::User& user, std::string_view tab_id) {
  co_return apply_unregister(record, user, tab_id);
}

boost::asio::awaitable<ViewersResult> MemoryStore::viewers(presence::RecordRef record, const presence::User& caller,
                                                           std::vector<presence::Viewer>& out) {
  read_viewers(record, caller, out);
  co_return ViewersResult::ok;
}

void MemoryStore::start(boost::asio::any_io_executor executor) {
  timer_ = std::make_unique<boost::asio::steady_timer>(executor);
  running_ = true;
  schedule_tick();
}

void MemoryStore::schedule_tick() {
  timer_->expires_after(std::chrono::milliseconds(options_.tick_ms));
  timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    expire_due();
    schedule_tick();
  });
}

void MemoryStore::stop() {
  running_ = false;
  if (timer_) boost::asio::post(timer_->get_executor(), [this] { timer_->cancel(); });
}

}  // namespace presenced::store::memory
