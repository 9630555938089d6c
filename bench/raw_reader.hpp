#pragma once
// Reads many WebSocket sockets without Beast, straight from epoll, once their handshakes
// are done: a Beast read costs the client more than a delivery costs the server, and the
// client shares the machine. Server frames are unmasked: [0x81][len (126: +2 bytes,
// 127: +8)][payload]. For each socket it notes the arrival of its k-th text frame (in
// `arrivals[k][socket]`), and counts its frames and bytes (headers included).

#include "bench_util.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

class RawReader {
 public:
  RawReader(std::vector<std::vector<std::int64_t>>& arrivals, std::size_t sockets, bool poll)
      : arrivals_(arrivals), frames_(sockets), bytes_(sockets), epoll_(epoll_create1(0)), poll_(poll) {}
  ~RawReader() { close(epoll_); }

  void add(int fd, std::size_t index) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (fds_.size() <= index) fds_.resize(index + 1);
    fds_[index] = {fd, {}};
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e);
  }

  // Reads until `done`.
  void run(const std::atomic<bool>& done) {
    std::vector<epoll_event> events(1024);
    char chunk[16384];
    while (!done) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), poll_ ? 0 : 10);
      const std::int64_t at = now_us();
      for (int i = 0; i < n; ++i) {
        const std::size_t index = events[i].data.u64;
        Fd& f = fds_[index];
        for (;;) {
          const ssize_t got = recv(f.fd, chunk, sizeof chunk, 0);
          if (got <= 0) break;
          f.pending.append(chunk, static_cast<std::size_t>(got));
        }
        parse(f, index, at);
      }
    }
  }

  // Per socket, read from any thread while run() goes on.
  std::size_t frames(std::size_t index) const { return frames_[index].load(std::memory_order_relaxed); }
  std::uint64_t bytes(std::size_t index) const { return bytes_[index].load(std::memory_order_relaxed); }

 private:
  struct Fd {
    int fd;
    std::string pending;
  };
  void parse(Fd& f, std::size_t index, std::int64_t at) {
    std::size_t pos = 0;
    while (f.pending.size() - pos >= 2) {
      const auto* p = reinterpret_cast<const unsigned char*>(f.pending.data() + pos);
      std::uint64_t len = p[1] & 0x7f;
      std::size_t head = 2;
      if (len == 126) {
        if (f.pending.size() - pos < 4) break;
        len = (std::uint64_t{p[2]} << 8) | p[3];
        head = 4;
      } else if (len == 127) {
        if (f.pending.size() - pos < 10) break;
        len = 0;
        for (int b = 2; b < 10; ++b) len = (len << 8) | p[b];
        head = 10;
      }
      if (f.pending.size() - pos < head + len) break;
      if ((p[0] & 0x0f) == 0x1) {
        const std::size_t k = frames_[index].fetch_add(1, std::memory_order_relaxed);
        if (k < arrivals_.size()) arrivals_[k][index] = at;
        bytes_[index].fetch_add(head + len, std::memory_order_relaxed);
      }
      pos += head + static_cast<std::size_t>(len);
    }
    f.pending.erase(0, pos);
  }

  std::vector<std::vector<std::int64_t>>& arrivals_;
  std::vector<std::atomic<std::size_t>> frames_;
  std::vector<std::atomic<std::uint64_t>> bytes_;
  int epoll_;
  bool poll_;  // spin instead of sleeping in epoll_wait
  std::vector<Fd> fds_;
};

// What a latency run prints, from `arrivals[k][socket]` (0: never arrived) and the time
// each of the `what` (changes, events) was sent: the time to the last socket and to every
// socket. The number of deliveries missing.
inline std::size_t print_latency(const std::vector<std::vector<std::int64_t>>& arrivals,
                                 const std::vector<std::int64_t>& sent, std::size_t sockets, const char* what) {
  std::vector<double> last, all;
  std::size_t missing = 0;
  for (std::size_t t = 0; t < arrivals.size(); ++t) {
    std::int64_t latest = 0;
    for (std::int64_t at : arrivals[t]) {
      if (at == 0) {
        ++missing;
        continue;
      }
      all.push_back(static_cast<double>(at - sent[t]) / 1000.0);
      latest = std::max(latest, at);
    }
    if (latest) last.push_back(static_cast<double>(latest - sent[t]) / 1000.0);
  }
  std::printf("subscribers %zu, %s %zu, deliveries missing %zu\n", sockets, what, arrivals.size(), missing);
  std::printf("last subscriber: p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", percentile(last, 50), percentile(last, 99),
              percentile(last, 100));
  std::printf("every delivery:  p50 %.1f ms  p99 %.1f ms\n", percentile(all, 50), percentile(all, 99));
  return missing;
}

}  // namespace bench
