#include "store/redis/redis_store.hpp"

#include "presence/aggregation.hpp"
#include "presence/json_text.hpp"
#include "store/redis/iso8601.hpp"
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

// The key, on the stack: its parts are validated segments of at most 64 characters.
class Key {
 public:
  explicit Key(const presence::RecordRef& r) {
    char* p = buf_;
    for (std::string_view part : {kKeyPrefix, r.tenant, kKeyMiddle, r.type, std::string_view(":"), r.id}) {
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
  out.append(tab.mode == presence::Mode::edit ? R"(,"mode":"edit")" : R"(,"mode":"view")");
  out.append(tab.dirty ? R"(,"dirty":true,"last_seen_at":")" : R"(,"dirty":false,"last_seen_at":")");
}

void value_tail(std::string& out, const presence::HeartbeatInput& tab) {
  out.assign("\"");
  if (!tab.active_field.empty()) {
    out.append(R"(,"active_field":)");
    presence::append_json_string(out, tab.active_field);
  }
  out.append(R"(,"joined_us":)");
}

// EVALSHA, and EVAL when Redis has lost the script (SCRIPT FLUSH, a failover to a
// replica that never loaded it): the reply to EVAL loads it again.
template <typename Args>
asio::awaitable<ExecResult> run_script(Connection& c, const Script& script, std::string_view key, std::size_t argc,
                                       Args&& args) {
  ExecResult r = co_await c.execute([&](std::string& out) {
    CommandWriter w(out, 3 + 1 + argc);
    w.arg("EVALSHA").arg(script.sha1).arg("1").arg(key);
    args(w);
  });
  if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR && text(*r.reply).starts_with("NOSCRIPT")) {
    r = co_await c.execute([&](std::string& out) {
      CommandWriter w(out, 3 + 1 + argc);
      w.arg("EVAL").arg(script.source).arg("1").arg(key);
      args(w);
    });
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
bool read_entry(std::string_view order, std::string_view value, const presence::User& caller, presence::User& user,
                presence::TabView& tab) {
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
  user.tenant = caller.tenant;
  const auto* mode = obj->if_contains("mode");
  tab.mode = mode && mode->is_string() && mode->get_string() == "edit" ? presence::Mode::edit : presence::Mode::view;
  const auto* dirty = obj->if_contains("dirty");
  tab.dirty = dirty && ((dirty->is_bool() && dirty->get_bool()) || (dirty->is_int64() && dirty->get_int64() == 1) ||
                        (dirty->is_string() && dirty->get_string() == "1"));
  std::uint64_t joined = 0;
  std::from_chars(order.data(), order.data() + order.size(), joined);
  tab.joined = joined;
  return true;
}

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options, const presence::Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

RedisStore::~RedisStore() { stop(); }

void RedisStore::start(std::span<const asio::any_io_executor> executors) {
  ConnectionOptions co;
  co.request_timeout = options_.timeout;
  co.scripts = {heartbeat_script().source, viewers_script().source, unregister_script().source};
  for (const auto& executor : executors) {
    auto& context = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
    auto c = std::make_unique<Connection>(context, options_.endpoint, co);
    c->on_state_change = [this](bool up) { up ? ++connected_ : --connected_; };
    c->start();
    connections_.push_back(std::move(c));
  }
}

void RedisStore::stop() {
  for (auto& c : connections_) c->stop();
  connections_.clear();  // while the io_contexts still exist (see presence_store.hpp)
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
  Key key(record);
  ExecResult r = co_await run_script(*c, heartbeat_script(), key.view(), 6, [&](CommandWriter& w) {
    // Built here, each time the command is written (there is a retry after NOSCRIPT):
    // the buffers are the thread's, and other requests use them while this one waits.
    thread_local std::string head, tail;
    value_head(head, *user, tab);
    value_tail(tail, tab);
    w.arg(tab.tab_id).arg(options_.ttl_ms);
    w.arg(head).arg(Iso8601(now).view()).arg(tail).arg(Iso8601(now - options_.ttl_ms).view());
  });
  HeartbeatResult result = HeartbeatResult::unavailable;
  if (is_status(r, "joined")) result = HeartbeatResult::joined;
  else if (is_status(r, "updated")) result = HeartbeatResult::updated;
  else if (is_status(r, "renewed")) result = HeartbeatResult::renewed;
  else if (is_status(r, "not_owner")) result = HeartbeatResult::not_owner;
  if (observer_ && (result == HeartbeatResult::joined || result == HeartbeatResult::updated)) {
    observer_->on_change({record, tab.tab_id, user.get(),
                          result == HeartbeatResult::joined ? ChangeKind::joined : ChangeKind::updated});
  }
  co_return result;
}

asio::awaitable<UnregisterResult> RedisStore::unregister(presence::RecordRef record, const presence::User& user,
                                                         std::string_view tab_id) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return UnregisterResult::unavailable;
  Key key(record);
  ExecResult r = co_await run_script(*c, unregister_script(), key.view(), 4, [&](CommandWriter& w) {
    w.arg(tab_id).arg(user.id).arg(clock_.unix_ms()).arg(options_.ttl_ms);
  });
  if (is_status(r, "removed")) {
    if (observer_) observer_->on_change({record, tab_id, &user, ChangeKind::left});
    co_return UnregisterResult::removed;
  }
  if (is_status(r, "absent")) co_return UnregisterResult::absent;
  if (is_status(r, "not_owner")) co_return UnregisterResult::not_owner;
  co_return UnregisterResult::unavailable;
}

asio::awaitable<ViewersResult> RedisStore::viewers(presence::RecordRef record, const presence::User& caller,
                                                   std::vector<presence::Viewer>& out) {
  Connection* c = connection_for(co_await asio::this_coro::executor);
  if (!c) co_return ViewersResult::unavailable;
  Key key(record);
  ExecResult r = co_await run_script(*c, viewers_script(), key.view(), 2,
                                     [&](CommandWriter& w) { w.arg(clock_.unix_ms()).arg(options_.ttl_ms); });
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY) co_return ViewersResult::unavailable;

  // Entries the host app wrote may be anything; what cannot be read is skipped.
  const redisReply& list = *r.reply;
  thread_local std::vector<presence::User> users;
  thread_local std::vector<presence::TabView> tabs;
  users.resize(std::max(users.size(), list.elements / 2));
  tabs.clear();
  for (std::size_t i = 0; i + 1 < list.elements; i += 2) {
    presence::TabView tab{};
    presence::User& user = users[tabs.size()];
    if (read_entry(text(*list.element[i]), text(*list.element[i + 1]), caller, user, tab)) {
      tab.user = &user;
      tabs.push_back(tab);
    }
  }
  presence::aggregate_viewers(tabs, caller, out);
  co_return ViewersResult::ok;
}

}  // namespace presenced::store::redis
