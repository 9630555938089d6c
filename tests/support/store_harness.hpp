#pragma once
// Stores in the test's own process, on a clock the test moves: the embedded store, and the
// Redis store on a real redis-server (or cluster), driven on one server thread that the
// test runs by hand. For the store contract and the differential test of the stores.

#include "store/memory/memory_store.hpp"
#include "store/redis/redis_store.hpp"
#include "store/redis/redis_url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace presenced::testing {

// A user as a verified token would make it.
inline presence::UserPtr make_user(std::string id, bool is_number, std::string name, std::string tenant = "1") {
  auto u = boost::intrusive_ptr<presence::User>(new presence::User);
  u->id = std::move(id);
  u->id_is_number = is_number;
  u->name = std::move(name);
  u->tenant = std::move(tenant);
  return u;
}

class StoreHarness {
 public:
  StoreHarness() {
    // Near real time: Redis's own key TTLs (real time) never pass during a test, and the
    // stores' liveness follows the manual clock.
    clock.step_wall_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count() - clock.unix_ms());
  }

  std::unique_ptr<store::memory::MemoryStore> memory(store::TabLimits limits, std::int64_t ttl_ms = 90'000) {
    return std::make_unique<store::memory::MemoryStore>(
        store::memory::MemoryStoreOptions{.ttl_ms = ttl_ms, .shards = 4, .limits = limits}, clock);
  }

  // Started on this harness's io_context, and ready (or throws).
  std::unique_ptr<store::redis::RedisStore> redis(const std::string& url, store::TabLimits limits,
                                                  std::int64_t ttl_ms = 90'000) {
    std::string error;
    auto endpoint = store::redis::parse_redis_url(url, error);
    if (!endpoint) throw std::runtime_error(error);
    auto store = std::make_unique<store::redis::RedisStore>(
        store::redis::RedisStoreOptions{
            .endpoint = *endpoint, .ttl_ms = ttl_ms, .timeout = std::chrono::seconds(5), .limits = limits},
        clock);
    store->start(threads);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!store->ready() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    if (!store->ready()) throw std::runtime_error("the Redis store did not become ready on " + url);
    return store;
  }

  // Runs one store call to its end on the io_context.
  template <class T>
  T run(boost::asio::awaitable<T> call) {
    auto done = boost::asio::co_spawn(io, std::move(call), boost::asio::use_future);
    io.restart();
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one_for(std::chrono::seconds(1));
    return done.get();
  }

  presence::ManualClock clock;
  runtime::EventThreads threads{1};
  runtime::EventThread::Binding on_the_thread{threads[0]};  // the test drives the thread's context
  boost::asio::io_context& io = threads[0].context();
};

}  // namespace presenced::testing
