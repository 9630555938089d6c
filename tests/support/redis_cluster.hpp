#pragma once
// A real Redis Cluster for tests: three masters and three replicas on free loopback
// ports (redis-server --cluster-enabled yes, joined by redis-cli --cluster create),
// without persistence, in a temporary directory; with what the failover and resharding
// tests do to it: pause a master, promote a replica, move a slot.

#include "support/redis_server.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace presenced::testing {

class RedisCluster {
 public:
  RedisCluster();  // starts it and waits until every node agrees it is up; throws when it cannot
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // redis-cluster:// with two of the nodes as seeds (presenced learns the rest).
  std::string url() const;
  const std::vector<std::uint16_t>& ports() const { return ports_; }

  std::uint16_t master_of(const std::string& key);  // the port of the node that holds `key`'s slot
  std::vector<std::uint16_t> masters();
  std::uint16_t replica_of(std::uint16_t master);  // a replica's port; 0 when it has none
  std::string node_id(std::uint16_t port);
  void flush_all();  // every master emptied, for a fresh test

  void pause(std::uint16_t port);   // SIGSTOP: the node stops answering, its sockets stay open
  void resume(std::uint16_t port);  // SIGCONT
  // Until every slot is served again (by some master) and the nodes agree on it.
  bool wait_until_healthy(int timeout_s = 30);

  // The process-wide instance the parameterised suite shares (started on first use).
  // Tests that fail over or reshard make their own.
  static RedisCluster& shared();

 private:
  RedisReplyPtr slots();
  std::string dir_;
  std::vector<std::uint16_t> ports_;
  std::vector<int> pids_;
};

std::uint16_t redis_key_slot(const std::string& key);  // as the cluster computes it

}  // namespace presenced::testing
