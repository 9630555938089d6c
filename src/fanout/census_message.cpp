#include "fanout/census_message.hpp"

#include "fanout/decimal.hpp"

namespace presenced::fanout {

std::string encode_census_question(std::uint64_t id, std::string_view prefix) {
  std::string out = std::to_string(id);
  out.push_back(':');
  out.append(prefix);
  return out;
}

std::optional<CensusQuestion> decode_census_question(std::string_view text) {
  CensusQuestion q;
  if (!take_number(text, ':', q.id)) return std::nullopt;
  q.prefix = text;
  return q;
}

std::string begin_census_answer(std::uint64_t id) {
  std::string out = std::to_string(id);
  out.push_back('\n');
  return out;
}

void append_census_line(std::string& answer, std::string_view name, std::uint32_t count) {
  answer.append(std::to_string(count)).append(1, ':').append(name).append(1, '\n');
}

bool decode_census_answer(std::string_view text, std::uint64_t& id, std::vector<CensusLine>& lines) {
  lines.clear();
  if (!take_number(text, '\n', id)) return false;
  while (!text.empty()) {
    CensusLine line;
    if (!take_number(text, ':', line.count)) return false;
    const auto end = text.find('\n');
    if (end == 0 || end == std::string_view::npos) return false;
    line.name = text.substr(0, end);
    text.remove_prefix(end + 1);
    lines.push_back(line);
  }
  return true;
}

}  // namespace presenced::fanout
