// Resident memory per live tab in the embedded store.
//
// Registers N tabs (default one million) through the store's own heartbeat path, in
// several shapes of record (one tab each, the worst case; three; ten), and reports the
// growth of this process's resident set divided by N. Users are shared the way the
// server shares them (one User per token, many tabs each); tab ids have the reference
// client's shape, "tab_<13-digit ms>_<9 chars>" (27 characters).
//
// usage: memory_per_tab [TABS] [USERS]

#include "store/memory/memory_store.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {
using namespace presenced;

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void measure(std::size_t tabs, std::size_t users, std::size_t tabs_per_record) {
  presence::ManualClock clock;
  std::vector<presence::UserPtr> people;
  for (std::size_t u = 0; u < users; ++u) {
    auto p = boost::intrusive_ptr<presence::User>(new presence::User);
    p->id = std::to_string(100000 + u);
    p->name = "User " + std::to_string(u);
    p->id_is_number = true;
    p->tenant = "1";
    people.push_back(p);
  }
  malloc_trim(0);
  const std::size_t before = resident_bytes();
  {
    store::memory::MemoryStore store({}, clock);
    char tab_id[32];
    std::string record_id;
    for (std::size_t i = 0; i < tabs; ++i) {
      std::snprintf(tab_id, sizeof tab_id, "tab_%013zu_%09zx", 1732860000000 + i, i * 2654435761u % 0xfffffffffu);
      record_id = std::to_string(i / tabs_per_record);
      presence::HeartbeatInput in{tab_id, i % 4 ? presence::Mode::view : presence::Mode::edit, i % 7 == 0, {}};
      store.apply_heartbeat({"1", "flow", record_id}, people[i % users], in);
    }
    const std::size_t after = resident_bytes();
    auto stats = store.stats();
    std::printf("%9zu tabs on %8zu records (%2zu per record), %6zu users: %7.1f MiB, %6.1f bytes per tab\n",
                stats.tabs, stats.records, tabs_per_record, users, (after - before) / 1048576.0,
                static_cast<double>(after - before) / static_cast<double>(stats.tabs));
  }
  malloc_trim(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t tabs = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  std::size_t users = argc > 2 ? std::stoul(argv[2]) : 100'000;
  for (std::size_t per_record : {1, 3, 10}) measure(tabs, users, per_record);
}
