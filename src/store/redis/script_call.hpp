#pragma once
// Running a script on the node that holds its keys: EVALSHA (EVAL when the node has lost
// the script), and on a cluster, following MOVED (the slot map is corrected) and ASK
// (ASKING on the target, once), and waiting out a migration (TRYAGAIN) or a failover (a
// master unreachable, CLUSTERDOWN) until the request's deadline. On one Redis there is
// nothing to follow and nothing to wait for: an unreachable Redis fails the request at
// once. Whatever is not a script's answer in the end (an error reply included) is
// `unavailable`: the request fails, unacknowledged.

#include "store/redis/cluster/slot_map.hpp"
#include "store/redis/connection.hpp"
#include "store/redis/node_set.hpp"
#include "store/redis/scripts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace presenced::store::redis {

// A script's keys: the record's, and for some its saved version's. (Not a braced list:
// g++ 12 cannot compile one inside a co_await expression.)
struct Keys {
  std::string_view first, second = {}, third = {};  // second, third: none when empty
  std::size_t size() const { return 1 + !second.empty() + !third.empty(); }
  std::string_view route() const { return first; }
  void add_to(auto& command) const {
    command.arg(first);
    if (!second.empty()) command.arg(second);
    if (!third.empty()) command.arg(third);
  }
};

// Any number of keys, of one slot on a cluster (a bulk query's group), kept by the caller.
struct KeyList {
  std::span<const std::string> keys;
  std::size_t size() const { return keys.size(); }
  std::string_view route() const { return keys.front(); }
  void add_to(auto& command) const {
    for (const std::string& key : keys) command.arg(key);
  }
};

// EVALSHA (or EVAL) with its keys, then `args(command)`, which is called for each
// command written: what it points into (the thread's buffers) is used by other requests
// while this one waits.
template <typename Cmd, typename KeySet, typename Args>
void build_script_command(Cmd& command, const Script& script, bool by_source, const KeySet& keys, Args& args) {
  if (by_source) command.arg("EVAL").arg(script.source);
  else command.arg("EVALSHA").arg(script.sha1);
  if (keys.size() == 1) command.arg("1");
  else if (keys.size() == 2) command.arg("2");
  else command.arg(static_cast<std::int64_t>(keys.size()));
  keys.add_to(command);
  args(command);
}

// One attempt on one connection, with EVAL after NOSCRIPT (a failover to a replica that
// never loaded it, SCRIPT FLUSH). `asking`: after an ASK redirection.
template <typename Cmd, typename KeySet, typename Args>
boost::asio::awaitable<ExecResult> script_on(Connection& c, const Script& script, const KeySet& keys, Args& args,
                                             bool asking) {
  ExecResult r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Cmd command;
    build_script_command(command, script, attempt == 1, keys, args);
    if (asking) c.send(Command().arg("ASKING"));
    r = co_await c.execute(command);
    const bool lost = r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR &&
                      text(*r.reply).starts_with("NOSCRIPT");
    if (!lost) break;
  }
  co_return r;
}

// The script's answer, routed by its first key; an error reply becomes `unavailable`.
// `answered_on`, when given, receives the connection that answered (for a WAIT after it).
template <typename Cmd = Command, typename KeySet, typename Args>
boost::asio::awaitable<ExecResult> call_script(NodeSet& nodes, const Script& script, KeySet keys, Args&& args,
                                               std::chrono::milliseconds timeout,
                                               Connection** answered_on = nullptr) {
  // (The clock only on a cluster: one Redis never retries.)
  const auto deadline = nodes.cluster() ? std::chrono::steady_clock::now() + timeout
                                        : std::chrono::steady_clock::time_point{};
  Connection* c = nodes.for_key(keys.route());
  bool asking = false;
  ExecResult r;
  for (int redirects = 0;;) {
    if (c) r = co_await script_on<Cmd>(*c, script, keys, args, asking);
    else r = ExecResult{};
    if (answered_on) *answered_on = c;
    if (!nodes.cluster()) break;
    if (r.status == ExecStatus::timeout) {
      nodes.refresh();  // a master that stopped answering may be failing over: look now
      break;            // the request's time is spent
    }
    asking = false;
    if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR) {
      const std::string_view error = text(*r.reply);
      const auto redirect = cluster::parse_redirect(error);
      if (redirect && ++redirects <= 5) {
        if (redirect->kind == cluster::Redirect::Kind::moved) {
          nodes.moved(redirect->slot, redirect->to);
          c = nodes.for_key(keys.route());
        } else {
          c = &nodes.at(redirect->to);
          asking = true;
        }
        continue;  // at once: the node that has the slot is known
      }
      // Redirected back and forth: the masters disagree about the slot for a moment (the
      // end of a resharding, CLUSTER SETSLOT NODE reaching the old master before the new
      // one, which sends MOVED back while it still imports). Waited out like TRYAGAIN.
      if (redirect) redirects = 0;
      else if (!cluster::is_transient_cluster_error(error)) break;
    } else if (r.status == ExecStatus::ok) {
      break;  // the answer
    }
    // Unreachable, failing over or migrating: ask for the map again, and try again
    // shortly if the request has time left.
    nodes.refresh();
    constexpr auto kPause = std::chrono::milliseconds(25);
    if (std::chrono::steady_clock::now() + kPause >= deadline) break;
    boost::asio::steady_timer pause(nodes.context(), kPause);
    co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    c = nodes.for_key(keys.route());
  }
  if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ERROR) {
    const bool cluster_answer = !nodes.cluster() && text(*r.reply).starts_with("MOVED");
    spdlog::error("redis {} script: {}{}", script.name, text(*r.reply),
                  cluster_answer ? " (this Redis is a cluster: use --store redis-cluster://)" : "");
    r.status = ExecStatus::unavailable;
  }
  co_return r;
}

}  // namespace presenced::store::redis
