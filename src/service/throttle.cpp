#include "service/throttle.hpp"

#include "presence/validation.hpp"

#include <algorithm>

namespace presenced::service {
namespace {

struct Window {
  std::int64_t opened_ms;
  std::uint32_t hits;
};

struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct Throttle::Shard {
  std::mutex mutex;
  std::unordered_map<std::string, Window, Hash, std::equal_to<>> windows;
  std::size_t size_after_sweep = 0;
};

Throttle::Throttle(std::uint32_t per_minute, const presence::Clock& clock, std::size_t shards)
    : limit_(per_minute), clock_(clock) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

Throttle::~Throttle() = default;

ThrottleDecision Throttle::hit(const presence::User& user) {
  // "tenant:user" on the stack; the tenant is a segment, the user id at most 128 bytes.
  char buf[presence::kMaxSegment + 1 + 256];
  std::size_t n = std::min(user.id.size(), sizeof buf - user.tenant.size() - 1);
  char* p = std::copy(user.tenant.begin(), user.tenant.end(), buf);
  *p++ = ':';
  p = std::copy_n(user.id.begin(), n, p);
  std::string_view key(buf, static_cast<std::size_t>(p - buf));

  const std::int64_t now = clock_.monotonic_ms();
  Shard& shard = *shards_[Hash{}(key) % shards_.size()];
  ThrottleDecision d;
  d.limit = limit_;
  std::lock_guard lock(shard.mutex);
  auto it = shard.windows.find(key);
  if (it == shard.windows.end() || now - it->second.opened_ms >= kWindowMs) {
    if (it == shard.windows.end()) {
      if (shard.windows.size() >= 2 * shard.size_after_sweep + 1024) {
        std::erase_if(shard.windows, [&](const auto& w) { return now - w.second.opened_ms >= kWindowMs; });
        shard.size_after_sweep = shard.windows.size();
      }
      it = shard.windows.try_emplace(std::string(key)).first;
    }
    it->second = {now, 0};
  }
  Window& w = it->second;
  if (w.hits >= limit_) {
    std::int64_t left_ms = kWindowMs - (now - w.opened_ms);
    d.allowed = false;
    d.retry_after_s = (left_ms + 999) / 1000;
    d.reset_unix = clock_.unix_seconds() + d.retry_after_s;
    return d;
  }
  ++w.hits;
  d.remaining = limit_ - w.hits;
  return d;
}

std::size_t Throttle::tracked() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->windows.size();
  }
  return n;
}

}  // namespace presenced::service
