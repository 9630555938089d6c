#pragma once
// The connections of one server thread (one io_context) to Redis: to the one server, or
// on a cluster to each master, with the thread's own copy of the slot map, so that
// routing a command takes no lock and no other thread.
//
// On a cluster the map comes from CLUSTER SLOTS, asked of any node this thread is
// connected to: when the first connection comes up, after a MOVED (which also fixes
// that slot at once), when a connection is lost (a master may be failing over), and
// every few seconds. A connection is made to each master as the map names it; those of
// nodes that are no longer masters stay, reconnecting, in case they come back. The
// subscriber's set, whose connections are in subscribe mode, asks nobody: it follows a
// command set's maps (follow()).

#include "store/redis/cluster/slot_map.hpp"
#include "store/redis/connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace presenced::store::redis {

class NodeSet {
 public:
  NodeSet(boost::asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options);
  ~NodeSet();
  NodeSet(const NodeSet&) = delete;
  NodeSet& operator=(const NodeSet&) = delete;

  void start();
  void stop();  // as Connection::stop()

  bool cluster() const { return endpoint_.cluster; }
  boost::asio::io_context& context() { return context_; }

  // The connection for `key`: the one server's, or the master's of the key's slot;
  // null while the thread has no map yet.
  Connection* for_key(std::string_view key) {
    if (!cluster()) return nodes_.front().get();
    return for_slot(cluster::key_slot(key));
  }
  Connection* for_slot(std::uint16_t slot) {
    const std::uint16_t owner = owner_[slot];
    return owner == cluster::SlotMap::kNoNode ? nullptr : nodes_[owner].get();
  }
  // The connection to `address`, made (and started) if there is none yet: an ASK target.
  Connection& at(const cluster::NodeAddress& address);
  // The masters of the current map (the one server's connection when not a cluster).
  std::vector<Connection*> masters();

  // For a set whose connections subscribe (the Subscriber's), before start(): it never
  // asks a node for the map itself, since a connection in subscribe mode (RESP2) may send
  // no other command: Redis refuses CLUSTER SLOTS there, and a message that arrives
  // while the request waits would be taken for its answer, and lost. It takes every map
  // `source` (a set of command connections on the same io_context) applies instead, and
  // its refresh() asks `source` for one. `source` may go first: the link goes with it.
  void follow(NodeSet& source);

  // A MOVED reply: the slot is at `address` now; the rest of the map is asked for again.
  void moved(std::uint16_t slot, const cluster::NodeAddress& address);
  // Asks for the slot map again soon (at most every 100 ms); nothing when not a cluster.
  void refresh();

  // Every slot has a master and every master's connection is up. Any thread.
  bool ready() const { return ready_.load(std::memory_order_relaxed); }

  // A connection's state changed (after the set's own bookkeeping), or a slot map came
  // (changed or not): for the subscriber, which must subscribe again where its channels
  // now are.
  std::function<void(Connection&, bool up)> on_node_state;
  std::function<void()> on_map_change;
  // Called on each new connection before it starts (the subscriber sets on_push).
  std::function<void(Connection&)> on_new_connection;

 private:
  std::size_t index_of(const cluster::NodeAddress& address);
  boost::asio::awaitable<void> refresh_loop();
  boost::asio::awaitable<void> periodic_refresh();
  bool apply(const cluster::SlotMap& map);
  void update_ready();

  boost::asio::io_context& context_;
  RedisEndpoint endpoint_;
  ConnectionOptions options_;
  std::vector<cluster::NodeAddress> addresses_;    // nodes_[i] is at addresses_[i]
  std::vector<std::unique_ptr<Connection>> nodes_;
  std::array<std::uint16_t, cluster::kSlots> owner_;  // index into nodes_
  std::vector<std::uint16_t> master_nodes_;           // indexes of the map's masters
  NodeSet* source_ = nullptr;        // the set whose maps this one takes (follow())
  std::vector<NodeSet*> followers_;  // the sets that take this one's
  bool have_map_ = false;
  bool warned_ = false;  // CLUSTER SLOTS refused: logged once
  bool refreshing_ = false, refresh_again_ = false, stopped_ = false;
  std::chrono::steady_clock::time_point last_refresh_{};
  boost::asio::steady_timer refresh_timer_, periodic_timer_;
  std::atomic<bool> ready_{false};
};

}  // namespace presenced::store::redis
