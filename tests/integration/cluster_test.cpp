// presenced on a Redis Cluster of three masters and three replicas: what only a cluster
// has. The whole parameterised suite also runs on one (fixture.hpp); these tests move a
// slot and fail masters over under traffic, and check that nothing acknowledged is lost.

#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/redis_cluster.hpp"
#include "support/store_harness.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace presenced::testing {
namespace {

using namespace std::chrono_literals;

std::string record_key(const std::string& id) { return "tenant_1_record_presence:flow:" + id; }

// Record ids whose keys are all in one slot (that of the first), `count` of them.
std::vector<std::string> records_in_one_slot(std::size_t count, std::uint16_t& slot) {
  std::vector<std::string> ids{"1"};
  slot = redis_key_slot(record_key("1"));
  for (int n = 2; ids.size() < count; ++n) {
    if (redis_key_slot(record_key(std::to_string(n))) == slot) ids.push_back(std::to_string(n));
  }
  return ids;
}

std::string tab_body(const std::string& id) { return R"({"tab_id":")" + id + R"(","mode":"view","dirty":false})"; }

// Clients sending heartbeats of new tabs (each success a join that must stay) to
// `records`, round robin, until stopped; what was acknowledged, and what failed.
class Traffic {
 public:
  Traffic(std::uint16_t port, std::vector<std::string> records, int clients = 3) : records_(std::move(records)) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port, i] {
        HttpClient c(port);
        const std::string token = token_for(std::to_string(100 + i), "Client " + std::to_string(i));
        for (int n = 0; running_; ++n) {
          const std::string& record = records_[static_cast<std::size_t>(n) % records_.size()];
          const std::string tab = "c" + std::to_string(i) + "-" + std::to_string(n);
          auto r = c.request("POST", "/api/v1/presence/flow/" + record + "/heartbeat", tab_body(tab), token);
          std::lock_guard lock(mutex_);
          if (r.status == 200) acked_.emplace_back(record, tab);
          else if (r.status == 503) ++unavailable_;
          else ++other_;
        }
      });
    }
  }
  ~Traffic() { stop(); }
  void stop() {
    running_ = false;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t acked() {
    std::lock_guard lock(mutex_);
    return acked_.size();
  }
  // Waits until `more` heartbeats beyond now were acknowledged.
  bool wait_for_more(std::size_t more, std::chrono::seconds timeout = 30s) {
    const std::size_t start = acked();
    const bool ok = eventually([&] { return acked() >= start + more; }, timeout);
    if (!ok) ADD_FAILURE() << "stalled at " << acked() << " acknowledged, " << unavailable() << " unavailable, " << other() << " other";
    return ok;
  }
  std::vector<std::pair<std::string, std::string>> acknowledged() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  int unavailable() {
    std::lock_guard lock(mutex_);
    return unavailable_;
  }
  int other() {
    std::lock_guard lock(mutex_);
    return other_;
  }

 private:
  std::vector<std::string> records_;
  std::atomic<bool> running_{true};
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> acked_;
  int unavailable_ = 0, other_ = 0;
};

class ClusterTest : public ::testing::Test {
 protected:
  RedisCluster cluster;

  std::unique_ptr<ServerProcess> node(std::vector<std::string> extra = {}) {
    // Room for the traffic's tabs: each of its heartbeats is a new tab.
    std::vector<std::string> args{"--store", cluster.url(), "--rate-limit", "0", "--threads", "2",
                                  "--max-tabs-per-record", "5000", "--max-tabs-per-user", "5000", "--max-user-tabs", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args);
    HttpClient probe(server->port());
    EXPECT_TRUE(eventually([&] { return probe.request("GET", "/readyz").status == 200; })) << server->output();
    return server;
  }

  // Every acknowledged tab is in its record's hash, on the node that holds it now.
  void expect_every_acknowledged_tab_kept(Traffic& traffic) {
    std::map<std::string, std::set<std::string>> stored;
    std::size_t missing = 0, index = 0;
    std::string which;
    for (const auto& [record, tab] : traffic.acknowledged()) {
      ++index;
      if (!stored.contains(record)) {
        RedisClient raw(cluster.master_of(record_key(record)));
        auto keys = raw.command({"HKEYS", record_key(record)});
        auto& set = stored[record];
        for (std::size_t i = 0; keys && i < keys->elements; ++i) set.insert(keys->element[i]->str);
      }
      if (!stored[record].contains(tab) && ++missing <= 10) which += " " + record + "/" + tab + "#" + std::to_string(index);
    }
    EXPECT_EQ(missing, 0u) << "of " << traffic.acknowledged().size() << " acknowledged heartbeats:" << which;
  }

  void fail_over_under_traffic(const std::string& option);

  // One record on each master, by master.
  std::map<std::uint16_t, std::string> record_on_each_master() {
    std::map<std::uint16_t, std::string> by_master;
    for (int n = 1; by_master.size() < 3 && n < 1000; ++n) {
      by_master.try_emplace(cluster.master_of(record_key(std::to_string(n))), std::to_string(n));
    }
    return by_master;
  }

  // Subscribes `ws` to `record` and waits for the snapshot.
  static void subscribe(WsClient& ws, const std::string& record) {
    ASSERT_EQ(ws.handshake_status(), 101u);
    ws.send(R"({"type":"subscribe","record_type":"flow","record_id":")" + record + R"("})");
    ASSERT_TRUE(ws.wait_for([&](const boost::json::value& m) { return is_presence(m, record); }));
  }

  // CLUSTER FAILOVER [FORCE] on `replica`, asked again as an operator would if it times
  // out (a manual failover gives up after 5 s on a busy machine), until it serves `record`.
  bool fail_over(std::uint16_t replica, const std::string& option, const std::string& record) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      std::vector<std::string> command{"CLUSTER", "FAILOVER"};
      if (!option.empty()) command.push_back(option);
      EXPECT_EQ(RedisClient(replica).string(command), "OK");
      if (eventually([&] { return cluster.master_of(record_key(record)) == replica; }, 12s)) return true;
    }
    return false;
  }

  // A WebSocket subscriber to `record` on `port` hears a heartbeat made now on `other`.
  static void expect_subscriber_hears(WsClient& ws, std::uint16_t other, const std::string& record,
                                      const std::string& tab) {
    HttpClient c(other);
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/" + record + "/heartbeat", tab_body(tab), token_for("7", "Grace"))
                  .status,
              200u);
    auto m = ws.wait_for([&](const boost::json::value& v) { return is_diff(v, record) && diff_names(v, 7); });
    EXPECT_TRUE(m) << "the change reached the subscriber";
  }
};

// Two nodes share the cluster: a change made on one reaches WebSocket subscribers on the
// other (sharded pub/sub, on the record's shard), for records on every master.
TEST_F(ClusterTest, TwoNodesShareTheClusterAndEventsCrossThem) {
  auto a = node();
  auto b = node();
  const std::map<std::uint16_t, std::string> by_master = record_on_each_master();
  ASSERT_EQ(by_master.size(), 3u);
  WsClient ws(a->port(), token_for("2", "Bob"));
  for (const auto& [master, record] : by_master) ASSERT_NO_FATAL_FAILURE(subscribe(ws, record));
  for (const auto& [master, record] : by_master) expect_subscriber_hears(ws, b->port(), record, "from-b-" + record);
  // Nothing went through classic pub/sub, which every shard would carry.
  for (std::uint16_t master : cluster.masters()) {
    const std::string stats = RedisClient(master).string({"INFO", "commandstats"});
    EXPECT_EQ(stats.find("cmdstat_publish:"), std::string::npos) << stats;
  }
}

// The subscriber's connections are in subscribe mode, where Redis (RESP2) takes no other
// command: the slot map they follow is asked on the command connections. (Asked on a
// subscribed connection, CLUSTER SLOTS was refused, and a message arriving meanwhile was
// taken for its answer and lost: a subscription's confirmation once, in CI.) A lost
// subscriber connection makes the node look at the map again: no node refused one.
TEST_F(ClusterTest, TheSlotMapIsNeverAskedOnASubscribedConnection) {
  auto a = node();
  auto b = node();
  const std::map<std::uint16_t, std::string> by_master = record_on_each_master();
  ASSERT_EQ(by_master.size(), 3u);
  WsClient ws(a->port(), token_for("2", "Bob"));
  for (const auto& [master, record] : by_master) ASSERT_NO_FATAL_FAILURE(subscribe(ws, record));
  const std::uint16_t first = by_master.begin()->first;
  EXPECT_GE(RedisClient(first).integer({"CLIENT", "KILL", "TYPE", "pubsub"}), 1);
  // Heard again once it has subscribed anew, through the maps it was given meanwhile.
  for (const auto& [master, record] : by_master) {
    HttpClient c(b->port());
    ASSERT_TRUE(eventually([&] {
      const std::string tab = "again-" + std::to_string(std::rand());
      if (c.request("POST", "/api/v1/presence/flow/" + record + "/heartbeat", tab_body(tab), token_for("7", "Grace"))
              .status != 200) {
        return false;
      }
      return ws.wait_for([&](const boost::json::value& v) { return is_diff(v, record) && diff_names(v, 7); }, 1s)
          .has_value();
    }, 20s)) << record;
  }
  for (std::uint16_t master : cluster.masters()) {
    const std::string stats = RedisClient(master).string({"INFO", "commandstats"});
    const auto at = stats.find("cmdstat_cluster|slots:");
    if (at == std::string::npos) continue;  // never asked here
    const std::string line = stats.substr(at, stats.find('\n', at) - at);
    EXPECT_NE(line.find("rejected_calls=0,"), std::string::npos) << master << ": " << line;
  }
}

// The calls of `command` a node has served (INFO commandstats), 0 when none.
long long calls_of(std::uint16_t port, const std::string& command) {
  const std::string stats = RedisClient(port).string({"INFO", "commandstats"});
  const std::string field = "cmdstat_" + command + ":calls=";
  const auto at = stats.find(field);
  return at == std::string::npos ? 0 : std::stoll(stats.substr(at + field.size()));
}

// A channel left and watched again at once (a page that navigates: Echo leaves and joins):
// the answer to the node's own SUNSUBSCRIBE is not taken for the unasked one that says a
// slot moved, which dropped the new subscription and made it again after a refresh of the
// slot map. Driven on the store's own thread, so that the unwatch and the watch are both
// sent before any answer is read: one SSUBSCRIBE for the one new subscription.
TEST_F(ClusterTest, ARecordUnwatchedAndWatchedAgainAtOnceIsSubscribedOnce) {
  StoreHarness harness;
  auto store = harness.redis(cluster.url(), store::TabLimits{.per_record = 5, .per_user = 3});
  const presence::RecordRef record{"1", "flow", "left-and-back"};
  const std::uint16_t master = cluster.master_of("tenant_1_record_presence:flow:left-and-back");
  const auto pump = [&](std::chrono::milliseconds total) {
    const auto end = std::chrono::steady_clock::now() + total;
    while (std::chrono::steady_clock::now() < end) {
      harness.io.restart();
      harness.io.run_for(10ms);
    }
  };
  const long long before = calls_of(master, "ssubscribe");
  store->watch(record);
  pump(300ms);
  ASSERT_EQ(calls_of(master, "ssubscribe") - before, 1);
  for (int round = 0; round < 3; ++round) {
    store->unwatch(record);
    store->watch(record);
    pump(500ms);  // a resubscription came a slot-map refresh (100 ms or more) after the answer
    EXPECT_EQ(calls_of(master, "ssubscribe") - before, 2 + round) << "round " << round;
  }
  store->unwatch(record);
  pump(100ms);
  store->stop();
}

// A bulk query over records on every master: one script per slot, all in flight, the
// answers in the order asked.
TEST_F(ClusterTest, ABulkQuerySpansTheShards) {
  const std::string key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", key});
  HttpClient c(server->port());
  for (int i : {3, 250, 499}) {
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/" + std::to_string(i) + "/heartbeat", tab_body("t"),
                        token_for(std::to_string(i), "U"))
                  .status,
              200u);
  }
  std::string body = R"({"tenant_id":1,"records":[)";
  std::set<std::uint16_t> slots;
  for (int i = 0; i < 500; ++i) {
    body += (i ? "," : "") + std::string(R"({"type":"flow","id":")") + std::to_string(i) + "\"}";
    slots.insert(redis_key_slot(record_key(std::to_string(i))));
  }
  body += "]}";
  for (std::uint16_t master : cluster.masters()) RedisClient(master).command({"CONFIG", "RESETSTAT"});
  auto r = c.request("POST", "/api/v1/server/presence/query", body, key);
  ASSERT_EQ(r.status, 200u) << r.body.substr(0, 300);
  const auto records = r.json().at("data").at("records").as_array();
  ASSERT_EQ(records.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    const bool has = i == 3 || i == 250 || i == 499;
    EXPECT_EQ(records[static_cast<std::size_t>(i)].at("id").as_string(), std::to_string(i));
    EXPECT_EQ(records[static_cast<std::size_t>(i)].at("count").as_int64(), has ? 1 : 0) << i;
  }
  long long calls = 0;
  for (std::uint16_t master : cluster.masters()) {
    const std::string stats = RedisClient(master).string({"INFO", "commandstats"});
    const auto at = stats.find("cmdstat_evalsha:calls=");
    if (at != std::string::npos) calls += std::stoll(stats.substr(at + 22));
  }
  EXPECT_EQ(calls, static_cast<long long>(slots.size())) << "one script per slot";
}

// Removing a user walks every master's share of the tenant.
TEST_F(ClusterTest, RemovingAUserWalksEveryMaster) {
  const std::string key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", key});
  HttpClient c(server->port());
  const std::string alice = token_for("5", "Alice"), bob = token_for("6", "Bob");
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/" + std::to_string(i) + "/heartbeat", tab_body("a"), alice).status, 200u);
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/" + std::to_string(i) + "/heartbeat", tab_body("b"), bob).status, 200u);
  }
  std::set<std::uint16_t> masters;
  for (int i = 0; i < 60; ++i) masters.insert(cluster.master_of(record_key(std::to_string(i))));
  ASSERT_EQ(masters.size(), 3u);
  auto r = c.request("DELETE", "/api/v1/server/presence/users/1/5", "", key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true,"data":{"removed":60}})");
  for (int i = 0; i < 60; ++i) {
    RedisClient raw(cluster.master_of(record_key(std::to_string(i))));
    EXPECT_EQ(raw.integer({"HEXISTS", record_key(std::to_string(i)), "a"}), 0) << i;
    EXPECT_EQ(raw.integer({"HEXISTS", record_key(std::to_string(i)), "b"}), 1) << i;
  }
}

// A slot moves to another master while heartbeats keep coming: ASK during the move, MOVED
// after it; every request answered, every acknowledged tab kept, and a WebSocket
// subscriber on a record of that slot still hears its changes.
TEST_F(ClusterTest, ReshardingASlotUnderTrafficLosesNothing) {
  std::uint16_t slot = 0;
  const auto records = records_in_one_slot(4, slot);
  const std::uint16_t source = cluster.master_of(record_key(records[0]));
  std::uint16_t target = 0;
  for (std::uint16_t m : cluster.masters()) {
    if (m != source) target = m;
  }
  auto server = node({"--store-timeout", "5"});
  WsClient ws(server->port(), token_for("2", "Bob"));
  ASSERT_NO_FATAL_FAILURE(subscribe(ws, records[0]));

  Traffic traffic(server->port(), records);
  ASSERT_TRUE(traffic.wait_for_more(50));
  const std::string source_id = cluster.node_id(source), target_id = cluster.node_id(target);
  RedisClient from(source), to(target);
  ASSERT_EQ(to.string({"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", source_id}), "OK");
  ASSERT_EQ(from.string({"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", target_id}), "OK");
  // Two keys at a time (redis-cli --cluster reshard moves batches; smaller here), with
  // traffic in between: requests meet keys on both sides, and a record whose hash has
  // moved and its tab counts not yet (a script's keys split: TRYAGAIN) until the next batch.
  for (;;) {
    auto keys = from.command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "2"});
    if (!keys || keys->elements == 0) break;
    std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(target), "", "0", "5000", "KEYS"};
    for (std::size_t i = 0; i < keys->elements; ++i) migrate.emplace_back(keys->element[i]->str);
    auto moved = from.command(migrate);
    ASSERT_TRUE(moved && moved->type == REDIS_REPLY_STATUS) << (moved && moved->str ? moved->str : "no reply");
    ASSERT_TRUE(traffic.wait_for_more(20));
  }
  // The end of the move told to the old master first, and to the others a moment later:
  // meanwhile the old master sends MOVED to the new one, which, still importing, sends
  // MOVED back. Requests wait that out instead of failing (it happened to one request in
  // a loaded CI run, when the order below happened by chance).
  ASSERT_EQ(from.string({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id}), "OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the traffic keeps coming meanwhile
  for (std::uint16_t m : cluster.masters()) {
    ASSERT_EQ(RedisClient(m).string({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id}), "OK");
  }
  ASSERT_TRUE(traffic.wait_for_more(100)) << "served after the move";
  traffic.stop();
  EXPECT_EQ(cluster.master_of(record_key(records[0])), target);
  EXPECT_EQ(traffic.unavailable(), 0) << "ASK and MOVED are followed, not failed";
  EXPECT_EQ(traffic.other(), 0);
  expect_every_acknowledged_tab_kept(traffic);
  expect_subscriber_hears(ws, server->port(), records[0], "after-the-move");
}

// Under traffic, the master of a slot is replaced by its replica (`option`: "" for a
// coordinated CLUSTER FAILOVER, "FORCE" after the master was stopped with SIGSTOP).
// Every acknowledged heartbeat is kept, service resumes by itself on the new master, and
// a WebSocket subscriber on a record of that slot still hears its changes.
void ClusterTest::fail_over_under_traffic(const std::string& option) {
  std::uint16_t slot = 0;
  const auto records = records_in_one_slot(3, slot);
  const std::uint16_t master = cluster.master_of(record_key(records[0]));
  const std::uint16_t replica = cluster.replica_of(master);
  ASSERT_NE(replica, 0);
  // A forced failover can lose what the master acknowledged and had not yet sent: the
  // node acknowledges a change only once the replica has it.
  auto server = option.empty() ? node({"--store-timeout", "5"})
                               : node({"--store-timeout", "1", "--store-wait-replicas", "1"});
  WsClient ws(server->port(), token_for("2", "Bob"));
  ASSERT_NO_FATAL_FAILURE(subscribe(ws, records[0]));
  Traffic traffic(server->port(), records);
  ASSERT_TRUE(traffic.wait_for_more(50));
  if (option == "FORCE") cluster.pause(master);
  ASSERT_TRUE(fail_over(replica, option, records[0]));
  // The old master comes back as the new one's replica: with --store-wait-replicas 1, the
  // shard takes changes again once it has a replica to keep them.
  cluster.resume(master);
  ASSERT_TRUE(traffic.wait_for_more(100, 60s)) << "served by the new master\n" << server->output();
  traffic.stop();
  ASSERT_TRUE(cluster.wait_until_healthy()) << "every node agrees who the masters are";
  EXPECT_EQ(traffic.other(), 0);
  if (option == "FORCE") {
    EXPECT_GT(traffic.unavailable(), 0) << "requests for the stopped master failed while it was gone";
  }
  expect_every_acknowledged_tab_kept(traffic);
  expect_subscriber_hears(ws, server->port(), records[0], "after-the-failover");
  HttpClient probe(server->port());
  EXPECT_TRUE(eventually([&] { return probe.request("GET", "/readyz").status == 200; }));
}

// The master hands over once the replica has everything: nothing is lost.
TEST_F(ClusterTest, AFailoverLosesNoAcknowledgedHeartbeat) { fail_over_under_traffic(""); }

// A master that stops answering: requests for its slots fail (503), never succeed
// unacknowledged, while it is gone.
TEST_F(ClusterTest, AStoppedMasterIsFailedOverAndServiceResumes) { fail_over_under_traffic("FORCE"); }

// The wrong scheme either way is a clear error in the log, and the node is never ready
// rather than answering from half a keyspace.
TEST(ClusterConfig, AClusterUrlOnAPlainRedisAndAPlainUrlOnAClusterAreSaid) {
  RedisServer plain;
  ServerProcess on_plain({"--store", "redis-cluster://127.0.0.1:" + std::to_string(plain.port()), "--rate-limit", "0"});
  HttpClient a(on_plain.port());
  EXPECT_TRUE(eventually([&] { return on_plain.output().find("cluster support disabled") != std::string::npos; }))
      << on_plain.output();
  EXPECT_EQ(a.request("GET", "/readyz").status, 503u);
  auto r = a.request("POST", "/api/v1/presence/flow/1/heartbeat", tab_body("t"), token_for("1", "A"));
  EXPECT_EQ(r.status, 503u) << r.body;

  RedisCluster cluster;
  ServerProcess on_cluster({"--store", "redis://127.0.0.1:" + std::to_string(cluster.ports()[0]), "--rate-limit", "0"});
  HttpClient b(on_cluster.port());
  EXPECT_TRUE(eventually([&] { return b.request("GET", "/readyz").status == 200; }));
  // Some record's slot is on another master: that request fails, and the log says why.
  int failed = 0;
  for (int i = 0; i < 30; ++i) {
    failed += b.request("POST", "/api/v1/presence/flow/" + std::to_string(i) + "/heartbeat", tab_body("t"),
                        token_for("1", "A"))
                  .status == 503;
  }
  EXPECT_GT(failed, 0);
  EXPECT_NE(on_cluster.output().find("use --store redis-cluster://"), std::string::npos) << on_cluster.output();
}

}  // namespace
}  // namespace presenced::testing
