#pragma once
// Reading GET /metrics in tests.

#include <sstream>
#include <string>

namespace presenced::testing {

// The value of the series `series` (its labels as exposed), or -1 when absent.
inline double metric(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

}  // namespace presenced::testing
