#include "store/redis/subscriber.hpp"

#include "store/layout.hpp"


#include <boost/asio/post.hpp>

namespace presenced::store::redis {
namespace asio = boost::asio;

namespace {
ConnectionOptions without_scripts(ConnectionOptions options) {
  options.scripts.clear();  // nothing to run here
  return options;
}
}  // namespace

Subscriber::Subscriber(asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options,
                       NoticeSink& sink, NodeSet& map_source)
    : context_(context),
      nodes_(context, endpoint, without_scripts(std::move(options))),
      sink_(sink),
      sharded_(endpoint.cluster),
      expired_channel_("__keyevent@" + std::to_string(endpoint.cluster ? 0 : endpoint.db) + "__:expired") {
  nodes_.on_new_connection = [this](Connection& c) {
    c.on_push = [this, &c](const redisReply& reply) { on_push(c, reply); };
  };
  nodes_.on_node_state = [this](Connection& c, bool up) {
    // Keys expire on every master, each telling its own subscribers: heard on all.
    if (up && on_expired) c.send_to_push(Command().arg("SUBSCRIBE").arg(expired_channel_));
    if (!up) {
      for (auto& [channel, w] : watched_) {
        if (w.at == &c) lost(channel, w);
      }
      for (auto it = unsubscribing_.begin(); it != unsubscribing_.end();) {
        std::erase(it->second, &c);  // no answer comes on a lost connection
        it = it->second.empty() ? unsubscribing_.erase(it) : std::next(it);
      }
    }
    resubscribe();  // a master that comes up may be where channels now belong
  };
  nodes_.on_map_change = [this] { resubscribe(); };
  nodes_.follow(map_source);
}

void Subscriber::watch(std::string channel, std::size_t owner) {
  asio::post(context_, [this, channel = std::move(channel), owner]() mutable {
    auto [it, added] = watched_.try_emplace(std::move(channel));
    it->second.owners.push_back(owner);
    if (it->second.owners.size() == 1) {
      subscribe(it->first, it->second);
    } else if (it->second.confirmed) {
      // Heard already: this owner is told so, as the first was at the confirmation.
      sink_.listening(owner, it->first, true);
    }
  });
}

void Subscriber::lost(const std::string& channel, Watch& w) {
  w.at = nullptr;
  w.confirmed = false;
  w.each_owner([&](std::size_t owner) { sink_.listening(owner, channel, false); });
}

void Subscriber::unwatch(std::string channel, std::size_t owner) {
  asio::post(context_, [this, channel = std::move(channel), owner] {
    auto it = watched_.find(channel);
    if (it == watched_.end()) return;
    auto& owners = it->second.owners;
    if (auto one = std::find(owners.begin(), owners.end(), owner); one != owners.end()) owners.erase(one);
    if (!owners.empty()) return;
    if (Connection* at = it->second.at) unsubscribe(channel, *at);
    watched_.erase(it);
  });
}

// Subscribes where the channel is now, if that is not where it is subscribed.
void Subscriber::subscribe(const std::string& channel, Watch& w) {
  Connection* c = nodes_.for_key(channel);
  if (!c || !c->connected() || c == w.at) return;
  if (w.at) {  // moved: only on a cluster. Not heard until the new subscription is confirmed.
    unsubscribe(channel, *w.at);
    w.each_owner([&](std::size_t owner) { sink_.listening(owner, channel, false); });
  }
  c->send_to_push(Command().arg(sharded_ ? "SSUBSCRIBE" : "SUBSCRIBE").arg(channel));
  w.at = c;
  w.confirmed = false;
}

void Subscriber::unsubscribe(const std::string& channel, Connection& at) {
  if (!at.connected()) return;  // nothing is subscribed there any more
  at.send_to_push(Command().arg(sharded_ ? "SUNSUBSCRIBE" : "UNSUBSCRIBE").arg(channel));
  if (sharded_) unsubscribing_[channel].push_back(&at);
}

// Whether a SUNSUBSCRIBE of `channel` heard on `from` answers one of ours (then forgotten).
bool Subscriber::answers_ours(std::string_view channel, Connection& from) {
  const auto it = unsubscribing_.find(channel);
  if (it == unsubscribing_.end()) return false;
  const auto one = std::find(it->second.begin(), it->second.end(), &from);
  if (one == it->second.end()) return false;
  it->second.erase(one);
  if (it->second.empty()) unsubscribing_.erase(it);
  return true;
}

// After a connection came up or went down, or a slot map came: every channel not
// subscribed where it is now (heard again once the subscription is confirmed).
void Subscriber::resubscribe() {
  for (auto& [channel, w] : watched_) subscribe(channel, w);
}

void Subscriber::on_push(Connection& from, const redisReply& reply) {
  if (reply.type == REDIS_REPLY_ERROR) {
    // A subscription sent on a stale map: MOVED names the slot; find it again there.
    if (auto redirect = cluster::parse_redirect(text(reply))) {
      for (auto& [channel, w] : watched_) {
        if (w.at == &from && cluster::key_slot(channel) == redirect->slot) lost(channel, w);
      }
      if (redirect->kind == cluster::Redirect::Kind::moved) nodes_.moved(redirect->slot, redirect->to);
      else nodes_.refresh();
    }
    return;
  }
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) return;
  const std::string_view kind = text(*reply.element[0]);
  const std::string_view channel = text(*reply.element[1]);
  if (kind == "message" && channel == expired_channel_) {
    if (on_expired) on_expired(text(*reply.element[2]));
    return;
  }
  if (kind == "sunsubscribe" && answers_ours(channel, from)) return;
  auto it = watched_.find(channel);
  if (it == watched_.end()) return;  // no longer watched here
  Watch& w = it->second;
  if (kind == "message" || kind == "smessage") {
    w.each_owner([&](std::size_t owner) { sink_.heard(owner, channel, text(*reply.element[2])); });
  } else if ((kind == "subscribe" || kind == "ssubscribe") && w.at == &from) {
    w.confirmed = true;
    w.each_owner([&](std::size_t owner) { sink_.listening(owner, channel, true); });
  } else if (kind == "sunsubscribe" && w.at == &from) {
    // Unasked (the channel is still wanted here): its slot moved to another master.
    lost(it->first, w);
    nodes_.refresh();
  }
}

}  // namespace presenced::store::redis
