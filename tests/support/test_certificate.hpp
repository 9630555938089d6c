#pragma once
// A self-signed certificate for localhost (CN and subjectAltName), made once per test
// process with the openssl command, and removed at exit.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace presenced::testing {

struct TestCertificate {
  std::filesystem::path dir, cert, key;
  TestCertificate() {
    dir = std::filesystem::temp_directory_path() / ("presenced-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                                "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
                                key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl could not make a certificate");
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
};

inline TestCertificate& test_certificate() {
  static TestCertificate c;
  return c;
}

}  // namespace presenced::testing
