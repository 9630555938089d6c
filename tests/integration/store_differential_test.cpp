// A differential test of the stores: the same random sequence of operations, applied to
// the embedded store and to Redis (one server, and a cluster), must give the same
// answers and the same viewer lists at every step. Users have ids of every shape
// (numbers and strings, small and past 2^53, a string and a number that are one user);
// tabs change mode, dirty, field, activity and lock version, leave, are refused by the
// tab limits, are removed by the server API, and expire as a clock the test moves passes
// their TTL.
//
// Sequences come from a seed, printed on failure. `make test` runs a few thousand steps;
// a longer run is one command (docs/architecture.md, Testing):
//   PRESENCED_DIFF_SEED=123 PRESENCED_DIFF_STEPS=200000 build/tests/integration_tests
//     --gtest_filter='*StoreDifferential*'
#include "integration/fixture.hpp"
#include "support/store_harness.hpp"

#include <cstdlib>
#include <random>
#include <sstream>

namespace presenced::testing {
namespace {

namespace asio = boost::asio;
using presence::Mode;

constexpr std::int64_t kTtlMs = 90'000;
constexpr store::TabLimits kLimits{.per_record = 5, .per_user = 3};


std::string describe(const presence::Viewer& v) {
  std::ostringstream o;
  o << "{id=" << v.id << (v.id_is_number ? "#" : "\"") << " name=" << v.name << " tabs=" << v.tabs
    << " dirty=" << v.has_dirty_tab << " mode=" << presence::to_string(v.mode) << " away=" << v.away
    << " stale=" << v.stale << " fields=[";
  for (const auto& f : v.fields) o << f << ",";
  o << "]}";
  return o.str();
}

std::string describe(const std::vector<presence::Viewer>& list) {
  std::string out;
  for (const auto& v : list) out += describe(v) + " ";
  return out;
}

std::string describe(const presence::TabDetail& t) {
  std::ostringstream o;
  o << "{" << t.tab_id << " user=" << t.user_id << (t.user_id_is_number ? "#" : "\"") << " " << t.user_name
    << " mode=" << presence::to_string(t.mode) << " dirty=" << t.dirty << " idle="
    << (t.activity == presence::Activity::idle) << " field=" << t.field << " v=" << t.lock_version
    << " seen=" << t.last_seen_ms << "}";
  return o.str();
}

class StoreDifferential : public ::testing::TestWithParam<Backend> {
 protected:
  StoreHarness harness;
  presence::ManualClock& clock = harness.clock;
  std::unique_ptr<store::memory::MemoryStore> memory;
  std::unique_ptr<store::redis::RedisStore> redis;

  void fresh_stores() {
    if (redis) redis->stop();
    redis.reset();
    const std::vector<std::string> args = store_args(GetParam());  // empties the Redis
    memory = harness.memory(kLimits, kTtlMs);
    redis = harness.redis(args.at(1), kLimits, kTtlMs);
  }

  void TearDown() override {
    if (redis) redis->stop();
  }

  template <class T>
  T run(asio::awaitable<T> call) {
    return harness.run(std::move(call));
  }
};

TEST_P(StoreDifferential, TheSameOperationsGiveTheSameAnswers) {
  // Users of two tenants. "42" as a string and 42 as a number are one user (as in the
  // host app's PHP arrays); the big ids pair up as doubles but are distinct users.
  const std::vector<presence::UserPtr> users = {
      make_user("7", true, "Seven", "1"),
      make_user("42", true, "Answer", "1"),
      make_user("42", false, "Answer as text", "1"),
      make_user("u-9", false, "Uma", "1"),
      make_user("9007199254740992", true, "Two53", "1"),
      make_user("9007199254740993", true, "Two53plus1", "1"),
      make_user("1768000000000000000", true, "SnowA", "1"),
      make_user("1768000000000000100", true, "SnowB", "1"),
      make_user("18446744073709551615", true, "MaxU64", "1"),
      make_user("Zoë Ann", false, "Zoë", "1"),
      make_user("7", true, "Seven of two", "2"),
      make_user("18446744073709551615", true, "MaxU64 of two", "2"),
  };
  const std::vector<std::string> tenant1_records = {"1", "2", "3", "4"};
  const std::vector<presence::RecordRef> records = {
      {"1", "flow", "1"}, {"1", "flow", "2"}, {"1", "flow", "3"}, {"1", "flow", "4"}, {"2", "flow", "1"}};
  const std::vector<std::string> fields = {"", "", "title", "body"};
  const std::vector<std::int64_t> steps_forward = {1'000, 29'000, 60'000, 89'999, 90'000, 91'000, 200'000};

  std::vector<std::uint64_t> seeds = {1, 2, 3};
  std::size_t steps = 1000;
  if (const char* s = std::getenv("PRESENCED_DIFF_SEED")) seeds = {std::strtoull(s, nullptr, 10)};
  if (const char* s = std::getenv("PRESENCED_DIFF_STEPS")) steps = std::strtoull(s, nullptr, 10);

  for (const std::uint64_t seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (PRESENCED_DIFF_SEED=" + std::to_string(seed) + " to repeat)");
    fresh_stores();
    std::mt19937_64 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<std::string> log;  // the steps so far, printed on a disagreement
    auto fail = [&](const std::string& what) {
      std::string recent;
      for (std::size_t i = log.size() > 20 ? log.size() - 20 : 0; i < log.size(); ++i) recent += "  " + log[i] + "\n";
      ADD_FAILURE() << "seed " << seed << ", step " << log.size() << ": " << what << "\nlast steps:\n" << recent;
    };

    for (std::size_t step = 0; step < steps; ++step) {
      const presence::UserPtr& user = users[pick(users.size())];
      const presence::RecordRef record{user->tenant, "flow",
                                       user->tenant == "1" ? std::string_view(tenant1_records[pick(4)]) : "1"};
      const std::string tab_id = "t" + std::to_string(pick(6));
      const std::size_t kind = pick(100);
      std::ostringstream op;
      if (kind < 55) {
        presence::HeartbeatInput in;
        in.tab_id = tab_id;
        in.mode = pick(3) == 0 ? Mode::edit : Mode::view;
        in.dirty = pick(4) == 0;
        in.active_field = fields[pick(fields.size())];
        in.activity = pick(5) == 0 ? presence::Activity::idle : presence::Activity::active;
        in.lock_version = pick(3) == 0 ? presence::kNoLockVersion : static_cast<std::uint32_t>(pick(4));
        op << "heartbeat " << user->id << "@" << user->tenant << " flow:" << record.id << " " << tab_id << " "
           << presence::to_string(in.mode) << (in.dirty ? " dirty" : "") << " field=" << in.active_field
           << (in.activity == presence::Activity::idle ? " idle" : "") << " v=" << in.lock_version;
        log.push_back(op.str());
        const auto a = run(memory->heartbeat(record, user, in));
        const auto b = run(redis->heartbeat(record, user, in));
        if (a != b) fail("heartbeat: memory " + std::to_string(int(a)) + ", redis " + std::to_string(int(b)));
      } else if (kind < 70) {
        op << "unregister " << user->id << "@" << user->tenant << " flow:" << record.id << " " << tab_id;
        log.push_back(op.str());
        const auto a = run(memory->unregister(record, *user, tab_id, 0));
        const auto b = run(redis->unregister(record, *user, tab_id, 0));
        if (a != b) fail("unregister: memory " + std::to_string(int(a)) + ", redis " + std::to_string(int(b)));
      } else if (kind < 76) {
        const auto version = static_cast<std::uint32_t>(1 + pick(4));
        op << "saved " << user->id << " flow:" << record.id << " v=" << version;
        log.push_back(op.str());
        const auto a = run(memory->saved(record, user, version));
        const auto b = run(redis->saved(record, user, version));
        if (a != b) fail("saved differs");
      } else if (kind < 88) {
        const std::int64_t ms = steps_forward[pick(steps_forward.size())];
        op << "clock +" << ms << " ms";
        log.push_back(op.str());
        clock.advance_ms(ms);
        if (pick(2) == 0) memory->expire_due();  // the sweep, or only the lazy checks
      } else if (kind < 91) {
        op << "remove user " << user->id << "@" << user->tenant;
        log.push_back(op.str());
        const auto a = run(memory->remove_user(user->tenant, user->id));
        const auto b = run(redis->remove_user(user->tenant, user->id));
        if (a != b) fail("remove_user: memory " + std::to_string(a.value_or(999)) + ", redis " + std::to_string(b.value_or(999)));
      } else if (kind < 95) {
        log.push_back("bulk query of every record");
        std::vector<std::vector<presence::Viewer>> a, b;
        ASSERT_EQ(run(memory->viewers_of(records, a)), store::ViewersResult::ok);
        ASSERT_EQ(run(redis->viewers_of(records, b)), store::ViewersResult::ok);
        for (std::size_t i = 0; i < records.size(); ++i) {
          if (describe(a[i]) != describe(b[i])) fail("bulk query, record " + std::to_string(i) + ":\n  memory " + describe(a[i]) + "\n  redis  " + describe(b[i]));
        }
      } else {
        log.push_back("tabs of flow:" + std::string(record.id) + "@" + std::string(record.tenant));
        std::vector<presence::TabDetail> a, b;
        ASSERT_EQ(run(memory->tabs(record, a)), store::ViewersResult::ok);
        ASSERT_EQ(run(redis->tabs(record, b)), store::ViewersResult::ok);
        std::string da, db;
        for (const auto& t : a) da += describe(t);
        for (const auto& t : b) db += describe(t);
        if (da != db) fail("tabs:\n  memory " + da + "\n  redis  " + db);
      }

      // Every record's viewers, as a random caller sees them, and the saved version.
      const presence::User* caller = pick(4) == 0 ? nullptr : users[pick(users.size())].get();
      for (const auto& r : records) {
        std::vector<presence::Viewer> a, b;
        store::RecordState sa, sb;
        ASSERT_EQ(run(memory->viewers(r, caller, a, &sa)), store::ViewersResult::ok);
        ASSERT_EQ(run(redis->viewers(r, caller, b, &sb)), store::ViewersResult::ok);
        if (describe(a) != describe(b)) {
          fail("viewers of flow:" + std::string(r.id) + "@" + std::string(r.tenant) + ":\n  memory " + describe(a) +
               "\n  redis  " + describe(b));
        }
        if (sa.saved_version != sb.saved_version || sa.next_expiry_ms != sb.next_expiry_ms) {
          fail("record state of flow:" + std::string(r.id) + ": memory saved " + std::to_string(sa.saved_version) +
               " expiry " + std::to_string(sa.next_expiry_ms) + ", redis saved " + std::to_string(sb.saved_version) +
               " expiry " + std::to_string(sb.next_expiry_ms));
        }
      }
      if (HasFailure()) return;  // the first disagreement, with its steps, is the report
    }
  }
}

std::vector<Backend> redis_backends() { return {{"redis"}, {"redis_cluster"}}; }
INSTANTIATE_TEST_SUITE_P(Redis, StoreDifferential, ::testing::ValuesIn(redis_backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
