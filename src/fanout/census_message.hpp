#pragma once
// The census of named channels between nodes (named_channels.hpp's counts()): one node
// asks every node how many subscriptions each channel under a prefix has, and each
// answers for itself. Both travel as the text of a named message (named_message.hpp),
// whose origin names the node that sent it:
//   question  "<query id>:<prefix>"
//   answer    "<query id>\n" then one "<count>:<channel name>\n" per channel
// in decimal. Read back from a Redis that others share: anything else is dropped.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::fanout {

struct CensusQuestion {
  std::uint64_t id = 0;
  std::string_view prefix;  // into the text
};

struct CensusLine {
  std::string_view name;  // into the text; never empty
  std::uint32_t count = 0;
};

std::string encode_census_question(std::uint64_t id, std::string_view prefix);
std::optional<CensusQuestion> decode_census_question(std::string_view text);

// An answer is begun with its id and a line appended per channel (a name holds no newline).
std::string begin_census_answer(std::uint64_t id);
void append_census_line(std::string& answer, std::string_view name, std::uint32_t count);
// False, and `lines` left in any state, when `text` is not exactly an answer.
bool decode_census_answer(std::string_view text, std::uint64_t& id, std::vector<CensusLine>& lines);

}  // namespace presenced::fanout
