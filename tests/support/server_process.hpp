#pragma once
// Runs the real presenced binary for a test: on 127.0.0.1:0, learning the port from the
// line it prints, and stopped (SIGTERM, then SIGKILL) when the test ends.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace presenced::testing {

// The same as kTestSecret (http_client.hpp), which signs the tests' tokens.
inline constexpr const char* kSecret = "test-secret-of-at-least-thirty-two-bytes";

class ServerProcess {
 public:
  // `args` come after the binary; --listen 127.0.0.1:0 and --jwt-secret are added unless given.
  explicit ServerProcess(std::vector<std::string> args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  bool running();
  // Sends `signal` and waits for the exit; returns the exit code (128+N for a signal).
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));
  std::string output();
  // Sends `signal` and returns at once; wait() then waits for the exit.
  void signal(int signal);
  // The exit code once the process has exited (within `timeout`), or -1.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  int pid() const { return pid_; }

 private:
  void drain();

  int pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
  int exit_code_ = -1;
};

struct ProcessResult {
  int exit_code;
  std::string output;
};

// Runs the binary to completion (at most `timeout`), capturing stdout and stderr.
ProcessResult run_binary(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(20));

}  // namespace presenced::testing
