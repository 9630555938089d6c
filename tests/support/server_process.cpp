#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace presenced::testing {
namespace {

using Clock = std::chrono::steady_clock;

int spawn(const std::vector<std::string>& args, int& out_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    std::vector<char*> argv;
    std::string binary = PRESENCED_BINARY;
    argv.push_back(binary.data());
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd = fds[0];
  return pid;
}

int wait_exit(int pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    int r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Appends what `fd` gives until `done(out)`, end of file, or `deadline`.
template <typename Done>
void read_until(int fd, Clock::time_point deadline, std::string& out, Done&& done) {
  while (!done(out)) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0 || poll(&p, 1, left) <= 0) return;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool has_flag(const std::vector<std::string>& args, std::string_view flag) {
  for (auto& a : args)
    if (a == flag) return true;
  return false;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args) {
  if (!has_flag(args, "--listen")) args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  if (!has_flag(args, "--jwt-secret") && !has_flag(args, "--dev") && !std::getenv("PRESENCED_JWT_SECRET")) args.insert(args.end(), {"--jwt-secret", kSecret});
  pid_ = spawn(args, out_fd_);

  // Read until the "listening on" line; generous, as a loaded machine may be slow.
  std::string seen;
  read_until(out_fd_, Clock::now() + std::chrono::seconds(30), seen, [this](const std::string& s) {
    auto at = s.find("listening on ");
    auto eol = at == std::string::npos ? at : s.find('\n', at);
    if (eol != std::string::npos) port_ = static_cast<std::uint16_t>(std::stoi(s.substr(s.rfind(':', eol) + 1)));
    return port_ != 0;
  });
  output_ = seen;
  if (port_ == 0) {
    stop(SIGKILL);
    throw std::runtime_error("presenced did not start: " + seen);
  }
  reader_ = std::thread([this] { drain(); });
}

void ServerProcess::drain() {
  char buf[4096];
  for (;;) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return;
    std::lock_guard lock(mutex_);
    output_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string ServerProcess::output() {
  std::lock_guard lock(mutex_);
  return output_;
}

bool ServerProcess::running() {
  if (exit_code_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int ServerProcess::stop(int signal, std::chrono::seconds timeout) {
  if (running()) {
    kill(pid_, signal);
    exit_code_ = wait_exit(pid_, Clock::now() + timeout);
    if (exit_code_ < 0) {
      kill(pid_, SIGKILL);
      wait_exit(pid_, Clock::now() + std::chrono::seconds(10));
      exit_code_ = -1;
    }
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_), out_fd_ = -1;
  return exit_code_;
}

void ServerProcess::signal(int signal) {
  if (running()) kill(pid_, signal);
}

int ServerProcess::wait(std::chrono::seconds timeout) {
  if (exit_code_ < 0) exit_code_ = wait_exit(pid_, Clock::now() + timeout);
  return exit_code_;
}

ServerProcess::~ServerProcess() {
  // Every server a test started must stop cleanly: a crash, a leak or a sanitizer report
  // in the server fails the test that caused it.
  bool was_running = running();
  int code = stop(SIGTERM);
  if (was_running && code != 0) {
    ADD_FAILURE() << "presenced exited with " << code << ":\n" << output();
  } else if (::testing::Test::HasFailure()) {
    // What the server said, for a failure seen once on a loaded CI machine: its last lines.
    const std::string said = output();
    constexpr std::size_t kTail = 16 * 1024;
    std::cerr << "presenced (port " << port_ << ") said:\n"
              << (said.size() > kTail ? said.substr(said.size() - kTail) : said) << '\n';
  }
}

ProcessResult run_binary(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  int fd = -1;
  int pid = spawn(args, fd);
  std::string out;
  read_until(fd, Clock::now() + timeout, out, [](const std::string&) { return false; });
  close(fd);
  int code = wait_exit(pid, Clock::now() + std::chrono::seconds(1));
  if (code < 0) {
    kill(pid, SIGKILL);
    wait_exit(pid, Clock::now() + std::chrono::seconds(10));
  }
  return {code, out};
}

}  // namespace presenced::testing
