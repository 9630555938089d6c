#pragma once
// --log-level and --log-format: readable lines for people, or one JSON object per line
// for log collectors (time in UTC, level, message).

#include <string>

namespace presenced::app {

void configure_logging(const std::string& level, const std::string& format);

}  // namespace presenced::app
