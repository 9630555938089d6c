#include "support/redis_cluster.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <thread>

namespace presenced::testing {
namespace {

// A loopback port nobody listens on, not one of `taken`.
std::uint16_t unused_port(std::set<std::uint16_t>& taken) {
  for (;;) {
    const std::uint16_t port = free_loopback_port();
    if (taken.insert(port).second) return port;
  }
}

int spawn(const std::vector<std::string>& args, const std::string& dir) {
  const int pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::string info_field(RedisClient& c, const std::string& section, const std::string& field) {
  const std::string info = c.string({"CLUSTER", section});
  const auto at = info.find(field + ":");
  if (at == std::string::npos) return {};
  const auto end = info.find_first_of("\r\n", at);
  return info.substr(at + field.size() + 1, end - at - field.size() - 1);
}

// This node sees three masters and three replicas, none failing or still being met: a
// node that has not yet heard that another is a replica refuses to vote in its failover.
bool agrees_on_roles(RedisClient& c) {
  const std::string nodes = c.string({"CLUSTER", "NODES"});
  int masters = 0, replicas = 0;
  std::size_t at = 0;
  while (at < nodes.size()) {
    const auto end = nodes.find('\n', at);
    const std::string line = nodes.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? nodes.size() : end + 1;
    if (line.empty()) continue;
    const auto flags_at = line.find(' ', line.find(' ') + 1) + 1;
    const std::string flags = line.substr(flags_at, line.find(' ', flags_at) - flags_at);
    if (flags.find("fail") != std::string::npos || flags.find("handshake") != std::string::npos ||
        flags.find("noaddr") != std::string::npos) {
      return false;
    }
    if (flags.find("master") != std::string::npos) ++masters;
    if (flags.find("slave") != std::string::npos) ++replicas;
  }
  return masters == 3 && replicas == 3;
}

// A replica has its master's data (its first full sync is done) and follows it.
bool replica_in_sync(RedisClient& c) {
  const std::string info = c.string({"INFO", "replication"});
  if (info.find("role:slave") == std::string::npos) return true;
  return info.find("master_link_status:up") != std::string::npos &&
         info.find("master_sync_in_progress:0") != std::string::npos;
}

// Until the redis-server `pid` answers PING on `port`; false if it exits or does not
// answer within 20 s.
bool answers_as(std::uint16_t port, int pid) {
  const std::string id = "process_id:" + std::to_string(pid) + "\r";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;  // exited: the port was taken
    try {
      RedisClient c(port);
      if (c.string({"INFO", "server"}).find(id) != std::string::npos) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

std::uint16_t redis_key_slot(const std::string& key) {
  std::string_view k = key;
  if (auto open = k.find('{'); open != std::string_view::npos) {
    auto close = k.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) k = k.substr(open + 1, close - open - 1);
  }
  std::uint16_t crc = 0;  // CRC-16/XMODEM, bit by bit: an independent check of presenced's table
  for (unsigned char ch : k) {
    crc ^= static_cast<std::uint16_t>(ch << 8);
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
  }
  return crc % 16384;
}

RedisCluster::RedisCluster() {
  char dir_template[] = "/tmp/presenced-cluster-XXXXXX";
  if (!mkdtemp(dir_template)) throw std::runtime_error("cannot make a directory for the cluster");
  dir_ = dir_template;
  std::set<std::uint16_t> taken;
  std::vector<std::string> create{"redis-cli", "--cluster", "create"};
  for (int i = 0; i < 6; ++i) {
    // A port picked free may be taken before the node binds it (another test, an
    // outgoing connection's source port): the node then exits, and is started again on
    // other ports. The node that answers must be this one (its process id), not a
    // stranger on that port.
    for (int attempt = 0;; ++attempt) {
      const std::uint16_t port = unused_port(taken), bus = unused_port(taken);
      const std::string node_dir = dir_ + "/" + std::to_string(port);
      std::filesystem::create_directories(node_dir);
      const int pid = spawn({"redis-server", "--port", std::to_string(port), "--cluster-port", std::to_string(bus),
                             "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                             "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--loglevel",
                             "warning", "--logfile", "redis.log", "--repl-diskless-sync-delay", "0"},
                            node_dir);
      if (answers_as(port, pid)) {
        pids_.push_back(pid);
        ports_.push_back(port);
        create.push_back("127.0.0.1:" + std::to_string(port));
        break;
      }
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      if (attempt == 4) throw std::runtime_error("a cluster node did not start");
    }
  }
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  const int creator = spawn(create, dir_);
  int status = 0;
  waitpid(creator, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("redis-cli --cluster create failed");
  if (!wait_until_healthy(60)) throw std::runtime_error("the cluster did not become healthy");
}

RedisCluster::~RedisCluster() {
  for (int pid : pids_) {
    kill(pid, SIGCONT);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::error_code ignored;
  if (!std::getenv("PRESENCED_TEST_KEEP_CLUSTER")) std::filesystem::remove_all(dir_, ignored);  // its logs, when kept
}

std::string RedisCluster::url() const {
  return "redis-cluster://127.0.0.1:" + std::to_string(ports_[0]) + ",127.0.0.1:" + std::to_string(ports_[1]);
}

bool RedisCluster::wait_until_healthy(int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (std::size_t i = 0; i < ports_.size() && all; ++i) {
      try {
        RedisClient c(ports_[i]);
        all = info_field(c, "INFO", "cluster_state") == "ok" && info_field(c, "INFO", "cluster_slots_ok") == "16384" &&
              info_field(c, "INFO", "cluster_known_nodes") == "6" && agrees_on_roles(c) && replica_in_sync(c);
      } catch (const std::exception&) {
        all = false;  // a paused node: not healthy from here; checked by the others
      }
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// CLUSTER SLOTS from the first node that answers (one may be paused).
RedisReplyPtr RedisCluster::slots() {
  for (std::uint16_t port : ports_) {
    try {
      RedisClient c(port);
      auto r = c.command({"CLUSTER", "SLOTS"});
      if (r && r->type == REDIS_REPLY_ARRAY) return r;
    } catch (const std::exception&) {
    }
  }
  return nullptr;
}

std::uint16_t RedisCluster::master_of(const std::string& key) {
  const long long slot = redis_key_slot(key);
  auto slots = this->slots();
  for (std::size_t i = 0; slots && i < slots->elements; ++i) {
    const redisReply* range = slots->element[i];
    if (range->element[0]->integer <= slot && slot <= range->element[1]->integer) {
      return static_cast<std::uint16_t>(range->element[2]->element[1]->integer);
    }
  }
  return 0;
}

std::vector<std::uint16_t> RedisCluster::masters() {
  std::set<std::uint16_t> out;
  auto slots = this->slots();
  for (std::size_t i = 0; slots && i < slots->elements; ++i) {
    out.insert(static_cast<std::uint16_t>(slots->element[i]->element[2]->element[1]->integer));
  }
  return {out.begin(), out.end()};
}

std::uint16_t RedisCluster::replica_of(std::uint16_t master) {
  RedisClient c(master);
  const std::string info = c.string({"INFO", "replication"});
  const auto at = info.find("slave0:");
  if (at == std::string::npos) return 0;
  const auto port = info.find("port=", at);
  return static_cast<std::uint16_t>(std::stoi(info.substr(port + 5)));
}

std::string RedisCluster::node_id(std::uint16_t port) { return RedisClient(port).string({"CLUSTER", "MYID"}); }

void RedisCluster::flush_all() {
  for (std::uint16_t port : masters()) RedisClient(port).command({"FLUSHALL"});
}

void RedisCluster::pause(std::uint16_t port) {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == port) kill(pids_[i], SIGSTOP);
  }
}

void RedisCluster::resume(std::uint16_t port) {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == port) kill(pids_[i], SIGCONT);
  }
}

RedisCluster& RedisCluster::shared() {
  static RedisCluster cluster;
  return cluster;
}

}  // namespace presenced::testing
