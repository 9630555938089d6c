#pragma once
// The top-level members of a JSON request body that a validator asks for, read in one
// pass with Boost.JSON's SAX parser (basic_parser): no document is built, nothing is
// allocated, and the members not asked for are skipped. Request bodies are small
// objects with a handful of members, so this is most of what parsing one costs.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace presenced::presence {

struct JsonField {
  enum class Kind : std::uint8_t { absent, null, boolean, integer, number, string, compound };
  Kind kind = Kind::absent;
  bool boolean = false;
  std::int64_t integer = 0;   // Kind::integer (whole numbers that fit in int64)
  std::string_view text;      // Kind::string: the unescaped value, in the reader's buffer
  std::size_t text_size = 0;  // the string's full length in bytes, even when not kept
  bool truncated = false;     // longer than the reader could keep: text is empty, never a prefix
  bool is_present() const { return kind != Kind::absent && kind != Kind::null; }
};

class JsonFields {
 public:
  static constexpr std::size_t kMaxFields = 12;
  static constexpr std::size_t kMaxString = 2048;  // longer values are only ever refused (tokens fit)
  static constexpr std::size_t kBuffer = 2560;

  enum class Status { object, not_object, malformed };

  // `names` are the members wanted, at most kMaxFields; they must outlive the reader.
  explicit JsonFields(std::initializer_list<std::string_view> names);

  // Reads `body`. An empty body reads as an empty object; JSON that is not an object
  // (an array, a string) reads as not_object with every field absent, as Laravel treats
  // such input. Invalid JSON, invalid UTF-8 or nesting deeper than 32 is malformed.
  Status read(std::string_view body);

  const JsonField& operator[](std::size_t i) const { return fields_[i]; }
  // Fields `first` to `first + n`, in the order they were asked for.
  std::span<const JsonField> slice(std::size_t first, std::size_t n) const { return {fields_.data() + first, n}; }
  const JsonField& get(std::string_view name) const;

  struct Handler;  // the SAX handler (json_fields.cpp)

 private:
  std::array<std::string_view, kMaxFields> names_;
  std::size_t count_ = 0;
  std::array<JsonField, kMaxFields> fields_;
  std::array<char, kBuffer> buffer_;
  std::size_t used_ = 0;
};

}  // namespace presenced::presence
