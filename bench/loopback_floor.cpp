// What the kernel alone charges for a fan-out over loopback TCP: no WebSocket, no JSON,
// no event loop, just send() of one 200-byte message on each of N connected sockets, by
// W threads, and the time until the last one has been sent (and, with a reader, read).
// The floor under bench/fanout's "last subscriber" figure on the same machine.
//
//   loopback_floor N [--writers W] [--reader 0|1] [--rounds R]
//
// With --reader 1 (the default) one thread reads every socket through epoll, as
// bench/fanout does; with 0 nobody reads until the round is over (no wake-ups). N pairs
// cost 2N descriptors: at most 9,990 under the 20,000 open-file limit of these machines.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// N connected pairs over 127.0.0.1: the server ends (TCP_NODELAY, as presenced's) and
// the client ends (non-blocking, for the reader).
void connect_pairs(std::size_t n, std::vector<int>& server, std::vector<int>& client) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(listener, 4096) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    die("listen");
  }
  for (std::size_t i = 0; i < n; ++i) {
    const int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
    const int s = accept(listener, nullptr, nullptr);
    if (s < 0) die("accept");
    const int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    server.push_back(s);
    client.push_back(c);
  }
  close(listener);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: loopback_floor N [--writers W] [--reader 0|1] [--rounds R]\n");
    return 2;
  }
  const std::size_t n = std::strtoul(argv[1], nullptr, 10);
  std::size_t writers = 2, rounds = 10;
  bool reader = true;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const unsigned long value = std::strtoul(argv[i + 1], nullptr, 10);
    if (flag == "--writers") writers = std::max(1ul, value);
    else if (flag == "--reader") reader = value != 0;
    else if (flag == "--rounds") rounds = value;
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  std::vector<int> server, client;
  connect_pairs(n, server, client);
  const int epoll = epoll_create1(0);
  for (std::size_t i = 0; i < n; ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    if (reader) epoll_ctl(epoll, EPOLL_CTL_ADD, client[i], &e);
  }

  char message[200];
  std::memset(message, 'x', sizeof message);
  std::vector<double> sent_ms, read_ms;
  for (std::size_t round = 0; round < rounds; ++round) {
    std::atomic<std::size_t> received{0};
    std::atomic<bool> started{false};
    std::thread reading;
    if (reader) {
      reading = std::thread([&] {
        std::vector<epoll_event> events(1024);
        char buffer[4096];
        started = true;
        while (received.load() < n) {
          const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 10);
          for (int i = 0; i < ready; ++i) {
            while (recv(client[events[i].data.u64], buffer, sizeof buffer, 0) > 0) ++received;
          }
        }
      });
      while (!started) std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // asleep in epoll_wait
    }
    const auto start = Clock::now();
    std::vector<std::thread> sending;
    for (std::size_t w = 0; w < writers; ++w) {
      sending.emplace_back([&, w] {
        for (std::size_t i = w; i < n; i += writers) {
          if (send(server[i], message, sizeof message, 0) != static_cast<ssize_t>(sizeof message)) die("send");
        }
      });
    }
    for (auto& t : sending) t.join();
    sent_ms.push_back(ms_since(start));
    if (reader) {
      reading.join();
      read_ms.push_back(ms_since(start));
    } else {
      char buffer[4096];
      for (int c : client) {
        while (recv(c, buffer, sizeof buffer, 0) > 0) {
        }
      }
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  auto max = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
  std::printf("%zu sockets, %zu writer thread(s), %s, %zu rounds\n", n, writers,
              reader ? "one epoll reader" : "no reader during the sends", rounds);
  std::printf("all sent:  median %.1f ms  max %.1f ms  (%.2f us a socket)\n", median(sent_ms), max(sent_ms),
              median(sent_ms) * 1000.0 / static_cast<double>(n) * static_cast<double>(writers));
  if (reader) std::printf("all read:  median %.1f ms  max %.1f ms\n", median(read_ms), max(read_ms));
  return 0;
}
