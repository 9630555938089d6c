#include "store/redis/node_set.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace presenced::store::redis {
namespace asio = boost::asio;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kMinRefreshInterval = std::chrono::milliseconds(100);
constexpr auto kPeriodicRefresh = std::chrono::seconds(5);
}  // namespace

NodeSet::NodeSet(asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options)
    : context_(context),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      refresh_timer_(context),
      periodic_timer_(context) {
  owner_.fill(cluster::SlotMap::kNoNode);
}

NodeSet::~NodeSet() {
  stop();
  if (source_) std::erase(source_->followers_, this);
  for (NodeSet* f : followers_) f->source_ = nullptr;
}

void NodeSet::follow(NodeSet& source) {
  source_ = &source;
  source.followers_.push_back(this);
}

void NodeSet::start() {
  if (!cluster()) {
    index_of({endpoint_.host, endpoint_.port});
    return;
  }
  if (source_) {
    source_->refresh();  // its next map is this set's first (no seeds: only its masters)
    return;
  }
  for (const auto& [host, port] : endpoint_.seeds) index_of({host, port});
  asio::co_spawn(context_, periodic_refresh(), asio::detached);
}

void NodeSet::stop() {
  if (stopped_) return;
  stopped_ = true;
  refresh_timer_.cancel();
  periodic_timer_.cancel();
  for (auto& node : nodes_) node->stop();
  ready_ = false;
}

// Finds the node, or makes its connection and starts it.
std::size_t NodeSet::index_of(const cluster::NodeAddress& address) {
  const auto it = std::find(addresses_.begin(), addresses_.end(), address);
  if (it != addresses_.end()) return static_cast<std::size_t>(it - addresses_.begin());
  addresses_.push_back(address);
  nodes_.push_back(std::make_unique<Connection>(context_, endpoint_.node(address.host, address.port), options_));
  Connection& c = *nodes_.back();
  c.on_state_change = [this, &c](bool up) {
    if (cluster() && (!up || !have_map_)) refresh();  // a first map, or a master may be failing over
    update_ready();
    if (on_node_state) on_node_state(c, up);
  };
  if (on_new_connection) on_new_connection(c);
  if (!stopped_) c.start();
  return nodes_.size() - 1;
}

Connection& NodeSet::at(const cluster::NodeAddress& address) { return *nodes_[index_of(address)]; }

std::vector<Connection*> NodeSet::masters() {
  std::vector<Connection*> out;
  if (!cluster()) {
    out.push_back(nodes_.front().get());
    return out;
  }
  for (std::uint16_t i : master_nodes_) out.push_back(nodes_[i].get());
  return out;
}

void NodeSet::moved(std::uint16_t slot, const cluster::NodeAddress& address) {
  owner_[slot] = static_cast<std::uint16_t>(index_of(address));
  refresh();
}

void NodeSet::refresh() {
  if (!cluster() || stopped_) return;
  if (source_) {
    source_->refresh();
    return;
  }
  if (refreshing_) {
    refresh_again_ = true;
    return;
  }
  refreshing_ = true;
  asio::co_spawn(context_, refresh_loop(), asio::detached);
}

asio::awaitable<void> NodeSet::refresh_loop() {
  do {
    refresh_again_ = false;
    const auto next = last_refresh_ + kMinRefreshInterval;
    if (std::chrono::steady_clock::now() < next) {
      refresh_timer_.expires_at(next);
      co_await refresh_timer_.async_wait(use_tuple);
    }
    if (stopped_) break;
    last_refresh_ = std::chrono::steady_clock::now();
    // Ask the nodes in turn, masters of the current map first; the first answer counts.
    std::vector<std::size_t> order(master_nodes_.begin(), master_nodes_.end());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
    }
    bool answered = false;
    for (std::size_t i : order) {
      Connection& c = *nodes_[i];
      if (!c.connected()) continue;
      Command command;
      command.arg("CLUSTER").arg("SLOTS");
      ExecResult r = co_await c.execute(command);
      if (stopped_) co_return;
      if (r.status != ExecStatus::ok) continue;
      if (r.reply->type == REDIS_REPLY_ERROR) {
        // A Redis that is not a cluster ("cluster support disabled"): said once, loudly,
        // since nothing will work until the operator fixes --store.
        if (!warned_) spdlog::error("redis {}:{}: CLUSTER SLOTS: {}", addresses_[i].host, addresses_[i].port, text(*r.reply));
        warned_ = true;
        continue;
      }
      auto map = cluster::parse_cluster_slots(*r.reply, addresses_[i].host);
      if (!map || map->masters.empty()) continue;
      answered = true;
      // A map that does not cover every slot (a failover under way) is used for what it
      // covers, and asked for again.
      if (!apply(*map)) refresh_again_ = true;
      break;
    }
    // Nobody to ask: a connection coming up asks again.
    if (!answered) break;
  } while (refresh_again_ && !stopped_);
  refreshing_ = false;
}

asio::awaitable<void> NodeSet::periodic_refresh() {
  while (!stopped_) {
    periodic_timer_.expires_after(kPeriodicRefresh);
    co_await periodic_timer_.async_wait(use_tuple);
    if (stopped_) co_return;
    refresh();
  }
}

// Takes the map; whether it covers every slot.
bool NodeSet::apply(const cluster::SlotMap& map) {
  std::vector<std::uint16_t> index(map.masters.size());
  for (std::size_t m = 0; m < map.masters.size(); ++m) index[m] = static_cast<std::uint16_t>(index_of(map.masters[m]));
  bool changed = !have_map_;
  bool complete = true;
  for (std::size_t slot = 0; slot < cluster::kSlots; ++slot) {
    const std::uint16_t owner = map.owner[slot];
    if (owner == cluster::SlotMap::kNoNode) {
      complete = false;
      continue;  // keep what we knew: better a redirection than nothing
    }
    if (owner_[slot] != index[owner]) {
      owner_[slot] = index[owner];
      changed = true;
    }
  }
  master_nodes_.assign(index.begin(), index.end());
  have_map_ = true;
  update_ready();
  if (changed) {
    spdlog::info("redis cluster: slot map of {} masters{}", map.masters.size(), complete ? "" : " (some slots uncovered)");
  }
  if (on_map_change) on_map_change();  // also unchanged: the subscriber retries what it lost
  for (NodeSet* f : followers_) {
    if (!f->stopped_) f->apply(map);
  }
  return complete;
}

void NodeSet::update_ready() {
  bool ready = false;
  if (!cluster()) {
    ready = nodes_.front()->connected();
  } else if (have_map_) {
    ready = std::none_of(owner_.begin(), owner_.end(), [](std::uint16_t o) { return o == cluster::SlotMap::kNoNode; });
    for (std::uint16_t i : master_nodes_) ready = ready && nodes_[i]->connected();
  }
  ready_.store(ready, std::memory_order_relaxed);
}

}  // namespace presenced::store::redis
