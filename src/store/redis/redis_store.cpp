#include "store/redis/redis_store.hpp"

#include "presence/aggregation.hpp"
#include "presence/iso8601.hpp"
#include "presence/json_text.hpp"
#include "store/redis/notice.hpp"
#include "store/redis/scripts.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

namespace presenced::store::redis {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kKeyPrefix = "tenant_";
constexpr std::string_view kKeyMiddle = "_record_presence:";
constexpr std::string_view kSavedKeyMiddle = "_record_presence_saved:";
// How long a record's latest saved version is kept after the save: a tab left open over
// a weekend and still on the old version is stale on Monday only if this is longer.
constexpr std::int64_t kSavedKeepMs = 7LL * 24 * 3600 * 1000;
// A bulk query's keys: each record's and its saved version's.
constexpr std::size_t kMaxBulkKeys = 2 * kMaxBulkRecords;

// The key, on the stack: its parts are validated segments of at most 64 characters.
// The record's presence (the host app's key), or beside it, its saved version.
class Key {
 public:
  explicit Key(const presence::RecordRef& r, std::string_view middle = kKeyMiddle) {
    char* p = buf_;
    for (std::string_view part : {kKeyPrefix, r.tenant, middle, r.type, std::string_view(":"), r.id}) {
      p = std::copy(part.begin(), part.end(), p);
    }
    size_ = static_cast<std::size_t>(p - buf_);
  }
  std::string_view view() const { return {buf_, size_}; }

 private:
  char buf_[3 * 64 + 32];
  std::size_t size_;
};

// "2026-01-21T19:30:15.123Z": ISO-8601 in UTC, as the host app reads it.
// The stored value, in the pieces the heartbeat script takes: head (up to and including
// `"last_seen_at":"`), stamp, tail (up to and including `"joined_us":`). The script puts
// the join time (kept from the tab's earlier entry, or Redis's now) and "}" after them.
void value_head(std::string& out, const presence::User& user, const presence::HeartbeatInput& tab) {
  out.assign(R"({"user_id":)");
  if (user.id_is_number) out.append(user.id);
  else presence::append_json_string(out, user.id);
  out.append(R"(,"user_name":)");
  presence::append_json_string(out, user.name);
  if (!user.avatar_url.empty()) {
    out.append(R"(,"avatar_url":)");
    presence::append_json_string(out, user.avatar_url);
  }
  out.append(tab.mode == presence::Mode::edit ? R"(,"mode":"edit")" : R"(,"mode":"view")");
  out.append(tab.dirty ? R"(,"dirty":true,"last_seen_at":")" : R"(,"dirty":false,"last_seen_at":")");
}

void value_tail(std::string& out, const presence::HeartbeatInput& tab) {
  out.assign("\"");
  if (!tab.active_field.empty()) {
    out.append(R"(,"active_field":)");
    presence::append_json_string(out, tab.active_field);
  }
  if (tab.activity == presence::Activity::idle) out.append(R"(,"activity":"idle")");
  if (tab.lock_version != presence::kNoLockVersion) {
    out.append(R"(,"lock_version":)");
    out.append(std::to_string(tab.lock_version));
  }
  out.append(R"(,"joined_us":)");
}

// EVALSHA, and EVAL when Redis has lost the script (SCRIPT FLUSH, a failover to a
// replica that never loaded it): the reply to EVAL loads it again. `args(command)` adds
// the script's arguments; it is called again for the retry, because what it points into
// (the thread's buffers) is used by other requests while this one waits.
// A script's keys: the record's, and for some its saved version's. (Not a braced list:
// g++ 12 cannot compile one inside a co_await expression.)
struct Keys {
  std::string_view first, second;  // second: none when empty
  std::size_t size() const { return second.empty() ? 1 : 2; }
  void add_to(auto& command) const {
    command.arg(first);
    if (!second.empty()) command.arg(second);
  }
};

// Any number of keys (a bulk query), kept by the caller.
struct KeyList {
  std::span<const std::string> keys;
  std::size_t size() const { return keys.size(); }
  void add_to(auto& command) const {
    for (const std::string& key : keys) command.arg(key);
  }
};

// `Cmd`: a command with room for the script's keys and arguments.
template <typename Cmd = Command, typename KeySet, typename Args>
asio::awaitable<ExecResult> run_script(Connection& c, const Script& script, KeySet keys, Args&& args) {
  const char* key_count = keys.size() == 1 ? "1" : "2";
  ExecResult r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Cmd command;
    if (attempt == 0) command.arg("EVALSHA").arg(script.sha1);
    else command.arg("EVAL").arg(script.source);
    if (keys.size() <= 2) command.arg(key_count);
    else command.arg(static_cast<std::int64_t>(keys.size()));
    keys.add_to(command);
    args(command);
    r = co_await c.execute(command);
    const bool lost = r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR &&
                      text(*r.reply).starts_with("NOSCRIPT");
    if (!lost) break;
  }
  if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR) {
    spdlog::error("redis {} script: {}", script.name, text(*r.reply));
    r.status = ExecStatus::unavailable;
  }
  co_return r;
}

bool is_status(const ExecResult& r, std::string_view s) {
  return r.status == ExecStatus::ok && (r.reply->type == REDIS_REPLY_STRING || r.reply->type == REDIS_REPLY_STATUS) &&
         text(*r.reply) == s;
}

// One live entry, as the viewers script returns it, into `user` and a tab view.
bool read_entry(std::string_view order, std::string_view value, std::string_view tenant, presence::User& user,
                std::string& field, presence::TabView& tab) {
  unsigned char arena[2048];
  boost::json::monotonic_resource memory(arena, sizeof arena);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(value, ec, &memory);
  const auto* obj = v.if_object();
  if (ec || !obj) return false;
  const auto* id = obj->if_contains("user_id");
  if (!id) return false;
  if (id->is_int64()) user.id = std::to_string(id->get_int64()), user.id_is_number = true;
  else if (id->is_uint64()) user.id = std::to_string(id->get_uint64()), user.id_is_number = true;
  else if (id->is_double()) user.id = std::to_string(static_cast<std::int64_t>(id->get_double())), user.id_is_number = true;
  else if (id->is_string()) user.id = std::string_view(id->get_string()), user.id_is_number = false;
  else return false;
  const auto* name = obj->if_contains("user_name");
  user.name = name && name->is_string() ? std::string_view(name->get_string()) : std::string_view();
  user.tenant = tenant;
  const auto* avatar = obj->if_contains("avatar_url");
  user.avatar_url = avatar && avatar->is_string() && presence::is_usable_avatar_url(avatar->get_string())
                        ? std::string_view(avatar->get_string())
                        : std::string_view();
  const auto* mode = obj->if_contains("mode");
  tab.mode = mode && mode->is_string() && mode->get_string() == "edit" ? presence::Mode::edit : presence::Mode::view;
  const auto* dirty = obj->if_contains("dirty");
  tab.dirty = dirty && ((dirty->is_bool() && dirty->get_bool()) || (dirty->is_int64() && dirty->get_int64() == 1) ||
                        (dirty->is_string() && dirty->get_string() == "1"));
  const auto* active_field = obj->if_contains("active_field");
  field = active_field && active_field->is_string() ? std::string_view(active_field->get_string()) : std::string_view();
  tab.field = field;
  const auto* activity = obj->if_contains("activity");
  tab.activity = activity && activity->is_string() && activity->get_string() == "idle" ? presence::Activity::idle
                                                                                        : presence::Activity::active;
  const auto* version = obj->if_contains("lock_version");
  tab.lock_version = version && version->is_int64() && version->get_int64() >= 0 &&
                             version->get_int64() <= static_cast<std::int64_t>(presence::kMaxLockVersion)
                         ? static_cast<std::uint32_t>(version->get_int64())
                         : presence::kNoLockVersion;
  std::uint64_t joined = 0;
  std::from_chars(order.data(), order.data() + order.size(), joined);
  tab.joined = joined;
  return true;
}

// One answer of a viewers script ({saved version, ms to the first expiry, then joined,
// value, ...}) into `out` (without `caller`) and `state`.
void read_viewers(const redisReply& list, presence::RecordRef record, const presence::User* caller,
                  std::vector<presence::Viewer>& out, RecordState* state) {
  RecordState found;
  std::uint32_t version = 0;
  if (std::string_view v = text(*list.element[0]);
      !v.empty() && std::from_chars(v.data(), v.data() + v.size(), version).ec == std::errc()) {
    found.saved_version = version;
  }
  const redisReply& expiry = *list.element[1];
  if (expiry.type == REDIS_REPLY_INTEGER) {
    found.next_expiry_ms = expiry.integer;
  } else {
    std::from_chars(expiry.str, expiry.str + expiry.len, found.next_expiry_ms);
  }
  if (state) *state = found;

  // Entries the host app wrote may be anything; what cannot be read is skipped.
  thread_local std::vector<presence::User> users;
  thread_local std::vector<std::string> fields;
  thread_local std::vector<presence::TabView> tabs;
  const std::size_t entries = (list.elements - 2) / 2;
  users.resize(std::max(users.size(), entries));
  fields.resize(std::max(fields.size(), entries));
  tabs.clear();
  for (std::size_t i = 2; i + 1 < list.elements; i += 2) {
    presence::TabView tab{};
    const std::size_t n = tabs.size();
    if (read_entry(text(*list.element[i]), text(*list.element[i + 1]), record.tenant, users[n], fields[n], tab)) {
      tab.user = &users[n];
      tabs.push_back(tab);
    }
  }
  presence::aggregate_viewers(tabs, caller, found.saved_version, out);
}

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options, const presence::Clock& clock)
    : options_(std::move(options)),
      heartbeat_(heartbeat_script(options_.limits.per_record, options_.limits.per_user)),
      clock_(clock) {}

RedisStore::~RedisStore() { stop(); }

void RedisStore::start(std::span<const asio::any_io_executor> executors) {
  ConnectionOptions co;
  co.request_timeout = options_.timeout;
  co.scripts = {heartbeat_.source, viewers_script().source, unregister_script().source, viewers_many_script().source};
  for (const auto& executor : executors) {
    auto& context = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
    auto c = std::make_unique<Connection>(context, options_.endpoint, co);
    c->on_state_change = [this](bool up) { up ? ++connected_ : --connected_; };
    c->start();
    connections_.push_back(std::move(c));
  }
  auto& first = static_cast<asio::io_context&>(asio::query(executors.front(), asio::execution::context));
  subscriber_ = std::make_unique<Subscriber>(first, options_.endpoint, co, observer_);
  subscriber_->start();
}

void RedisStore::stop() {
  for (auto& c : connections_) c->stop();
  if (subscriber_) subscriber_->stop();
  // stop() failed every request still waiting on Redis, and queued its wake-up on the
  // (stopped) io_context. Run those, so that each waiting coroutine ends (with 503)
  // instead of being left holding itself through its own handler. The server threads
  // are gone: this thread is the only one left.
  for (auto& c : connections_) {
    auto& context = c->context();
    context.restart();
    for (int round = 0; round < 100 && context.poll() > 0; ++round) {
    }
  }
  connections_.clear();
  subscriber_.reset();  // while the io_contexts still exist (see presence_store.hpp)
}

bool RedisStore::ready() const { return !connections_.empty() && connected_.load() == connections_.size(); }

// The connection of the thread a request runs on (`executor` is the request's).
Connection* RedisStore::connection_for(const asio::any_io_executor& executor) {
  auto* context = &asio::query(executor, asio::execution::context);
  for (auto& c : connections_) {
    if (&c->context() == context) return c.get();
  }
  return nullptr;
}

asio::awaitable<HeartbeatResult> RedisStore::heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                       presence::HeartbeatInput tab) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return HeartbeatResult::unavailable;
  const std::int64_t now = clock_.unix_ms();
  const presence::Iso8601 stamp(now), cutoff(now - options_.ttl_ms);
  Key key(record);
  ExecResult r = co_await run_script(*c, heartbeat_, Keys{key.view(), {}}, [&](Command& w) {
    // Built here, each time the command is written (there is a retry after NOSCRIPT):
    // the buffers are the thread's, and other requests use them while this one waits.
    thread_local std::string head, tail;
    value_head(head, *user, tab);
    value_tail(tail, tab);
    w.arg(tab.tab_id).arg(options_.ttl_ms);
    w.arg(head).arg(stamp.view()).arg(tail).arg(cutoff.view());
  });
  // Joins and updates reach the observers through Redis (the script publishes them), on
  // this node as on every other: see subscriber.hpp.
  if (is_status(r, "renewed")) co_return HeartbeatResult::renewed;
  if (is_status(r, "joined")) co_return HeartbeatResult::joined;
  if (is_status(r, "updated")) co_return HeartbeatResult::updated;
  if (is_status(r, "not_owner")) co_return HeartbeatResult::not_owner;
  if (is_status(r, "record_full")) co_return HeartbeatResult::record_full;
  if (is_status(r, "user_full")) co_return HeartbeatResult::user_full;
  co_return HeartbeatResult::unavailable;
}

asio::awaitable<UnregisterResult> RedisStore::unregister(presence::RecordRef record, const presence::User& user,
                                                         std::string_view tab_id, std::int64_t unless_seen_since_ms) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return UnregisterResult::unavailable;
  Key key(record);
  ExecResult r = co_await run_script(*c, unregister_script(), Keys{key.view(), {}}, [&](Command& w) {
    w.arg(tab_id).arg(user.id).arg(clock_.unix_ms()).arg(options_.ttl_ms).arg(unless_seen_since_ms);
  });
  if (is_status(r, "removed")) co_return UnregisterResult::removed;
  if (is_status(r, "absent")) co_return UnregisterResult::absent;
  if (is_status(r, "not_owner")) co_return UnregisterResult::not_owner;
  if (is_status(r, "kept")) co_return UnregisterResult::kept;
  co_return UnregisterResult::unavailable;
}

asio::awaitable<ViewersResult> RedisStore::viewers(presence::RecordRef record, const presence::User* caller,
                                                   std::vector<presence::Viewer>& out, RecordState* state) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return ViewersResult::unavailable;
  Key key(record), saved_key(record, kSavedKeyMiddle);
  ExecResult r = co_await run_script(*c, viewers_script(), Keys{key.view(), saved_key.view()},
                                     [&](Command& w) { w.arg(clock_.unix_ms()).arg(options_.ttl_ms); });
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements < 2) {
    co_return ViewersResult::unavailable;
  }

  read_viewers(*r.reply, record, caller, out, state);
  co_return ViewersResult::ok;
}

asio::awaitable<ViewersResult> RedisStore::viewers_of(std::span<const presence::RecordRef> records,
                                                      std::vector<std::vector<presence::Viewer>>& out) {
  out.resize(records.size());
  if (records.empty()) co_return ViewersResult::ok;
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return ViewersResult::unavailable;
  std::vector<std::string> keys;
  keys.reserve(2 * records.size());
  for (const presence::RecordRef& record : records) {
    keys.emplace_back(Key(record).view());
    keys.emplace_back(Key(record, kSavedKeyMiddle).view());
  }
  ExecResult r = co_await run_script<BasicCommand<kMaxBulkKeys + 8>>(
      *c, viewers_many_script(), KeyList{keys}, [&](auto& w) { w.arg(clock_.unix_ms()).arg(options_.ttl_ms); });
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements != records.size()) {
    co_return ViewersResult::unavailable;
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const redisReply& answer = *r.reply->element[i];
    if (answer.type != REDIS_REPLY_ARRAY || answer.elements < 2) co_return ViewersResult::unavailable;
    read_viewers(answer, records[i], nullptr, out[i], nullptr);
  }
  co_return ViewersResult::ok;
}

asio::awaitable<ViewersResult> RedisStore::tabs(presence::RecordRef record, std::vector<presence::TabDetail>& out) {
  out.clear();
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return ViewersResult::unavailable;
  Key key(record);
  ExecResult r = co_await run_script(*c, tabs_script(), Keys{key.view(), {}},
                                     [&](Command& w) { w.arg(clock_.unix_ms()).arg(options_.ttl_ms); });
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY) co_return ViewersResult::unavailable;
  const redisReply& list = *r.reply;
  std::vector<std::pair<std::uint64_t, presence::TabDetail>> joined;
  for (std::size_t i = 0; i + 3 < list.elements; i += 4) {
    presence::User user;
    std::string field;
    presence::TabView tab{};
    // Entries the host app wrote may be anything; what cannot be read is skipped.
    if (!read_entry(text(*list.element[i + 3]), text(*list.element[i + 1]), record.tenant, user, field, tab)) continue;
    presence::TabDetail d{.tab_id = std::string(text(*list.element[i])),
                          .user_id = user.id,
                          .user_id_is_number = user.id_is_number,
                          .user_name = user.name,
                          .mode = tab.mode,
                          .dirty = tab.dirty,
                          .activity = tab.activity,
                          .field = std::string(tab.field),
                          .lock_version = tab.lock_version};
    const std::string_view seen = text(*list.element[i + 2]);
    std::from_chars(seen.data(), seen.data() + seen.size(), d.last_seen_ms);
    joined.emplace_back(tab.joined, std::move(d));
  }
  std::stable_sort(joined.begin(), joined.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, detail] : joined) out.push_back(std::move(detail));
  co_return ViewersResult::ok;
}

asio::awaitable<std::optional<std::size_t>> RedisStore::remove_user(std::string_view tenant,
                                                                  std::string_view user_id) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return std::nullopt;
  // The tenant's records, a page of SCAN at a time, each page cleaned by one script.
  std::string pattern;
  pattern.append(kKeyPrefix).append(tenant).append(kKeyMiddle).append("*");
  std::string cursor = "0";
  std::size_t removed = 0;
  do {
    Command scan;
    scan.arg("SCAN").arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(kMaxBulkRecords);
    ExecResult page = co_await c->execute(scan);
    if (page.status != ExecStatus::ok || page.reply->type != REDIS_REPLY_ARRAY || page.reply->elements != 2 ||
        page.reply->element[1]->type != REDIS_REPLY_ARRAY) {
      co_return std::nullopt;
    }
    cursor = text(*page.reply->element[0]);
    const redisReply& keys = *page.reply->element[1];
    if (keys.elements == 0) continue;
    std::vector<std::string> page_keys;
    page_keys.reserve(keys.elements);
    for (std::size_t i = 0; i < keys.elements; ++i) page_keys.emplace_back(text(*keys.element[i]));
    // SCAN's COUNT is a hint: a page may hold more keys than one command has room for.
    for (std::size_t at = 0; at < page_keys.size(); at += kMaxBulkKeys) {
      const KeyList slice{std::span<const std::string>(page_keys).subspan(at, std::min(kMaxBulkKeys, page_keys.size() - at))};
      ExecResult r = co_await run_script<BasicCommand<kMaxBulkKeys + 8>>(
          *c, remove_user_script(), slice, [&](auto& w) { w.arg(user_id).arg(clock_.unix_ms()).arg(options_.ttl_ms); });
      if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_INTEGER) co_return std::nullopt;
      removed += static_cast<std::size_t>(r.reply->integer);
    }
  } while (cursor != "0");
  co_return removed;
}

asio::awaitable<SavedResult> RedisStore::saved(presence::RecordRef record, presence::UserPtr user,
                                               std::uint32_t lock_version) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return SavedResult::unavailable;
  Key key(record), saved_key(record, kSavedKeyMiddle);
  std::string notice = encode_saved_notice(*user, lock_version);
  ExecResult r = co_await run_script(*c, saved_script(), Keys{key.view(), saved_key.view()}, [&](Command& w) {
    w.arg(static_cast<std::int64_t>(lock_version)).arg(notice).arg(kSavedKeepMs);
  });
  co_return is_status(r, "ok") ? SavedResult::ok : SavedResult::unavailable;
}

void RedisStore::watch(presence::RecordRef record) {
  if (subscriber_) subscriber_->watch(channel_of(Key(record).view()));
}

void RedisStore::unwatch(presence::RecordRef record) {
  if (subscriber_) subscriber_->unwatch(channel_of(Key(record).view()));
}

}  // namespace presenced::store::redis
