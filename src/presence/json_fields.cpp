#include "presence/json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace presenced::presence {

struct JsonFields::Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;

  JsonFields& self;
  int depth = 0;
  bool top_is_object = false;
  JsonField* current = nullptr;  // the wanted member whose value comes next, if any
  std::array<char, 64> key{};    // names longer than this are never wanted
  std::size_t key_size = 0;
  bool key_overflow = false;
  std::size_t string_start = 0;  // where the current string value began in the buffer

  explicit Handler(JsonFields& s) : self(s) {}

  // A value at depth 1 belongs to the member just named; deeper values are skipped.
  JsonField* target() { return depth == 1 ? current : nullptr; }
  void scalar(JsonField::Kind kind) {
    if (JsonField* f = target()) {
      *f = JsonField{};
      f->kind = kind;
    }
  }

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }

  bool on_object_begin(ec_t&) {
    if (depth == 0) top_is_object = true;
    else scalar(JsonField::Kind::compound);
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    --depth;
    return true;
  }
  bool on_array_begin(ec_t&) {
    scalar(JsonField::Kind::compound);
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, ec_t&) {
    --depth;
    return true;
  }

  bool on_key_part(std::string_view s, std::size_t, ec_t&) {
    append_key(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, ec_t&) {
    append_key(s);
    current = nullptr;
    if (depth == 1 && !key_overflow) {
      std::string_view name(key.data(), key_size);
      for (std::size_t i = 0; i < self.count_; ++i) {
        if (self.names_[i] == name) current = &self.fields_[i];
      }
      // A later duplicate replaces the member (PHP's json_decode: the last wins): the
      // earlier value's place in the buffer is given back when it was the last one kept,
      // so that duplicates do not cut the value that counts.
      if (current && current->kind == JsonField::Kind::string &&
          current->text.data() + current->text.size() == self.buffer_.data() + self.used_) {
        self.used_ -= current->text.size();
      }
    }
    key_size = 0;
    key_overflow = false;
    return true;
  }
  void append_key(std::string_view s) {
    if (key_size + s.size() > key.size()) {
      key_overflow = true;
      return;
    }
    std::memcpy(key.data() + key_size, s.data(), s.size());
    key_size += s.size();
  }

  bool on_string_part(std::string_view s, std::size_t n, ec_t&) {
    if (JsonField* f = target()) {
      if (n == s.size()) string_start = self.used_;  // the first part of this value
      keep(*f, s);
    }
    return true;
  }
  bool on_string(std::string_view s, std::size_t n, ec_t&) {
    if (JsonField* f = target()) {
      if (n == s.size()) string_start = self.used_;
      keep(*f, s);
      f->kind = JsonField::Kind::string;
      f->text = std::string_view(self.buffer_.data() + string_start, self.used_ - string_start);
      f->text_size = n;
      f->truncated = n > f->text.size();
      // A value that was cut is never read as a shorter one ("viewJUNK..." as "view"): its
      // text is empty, which no rule accepts for a present value, and its place is given back.
      if (f->truncated) {
        self.used_ = string_start;
        f->text = {};
      }
      // A later duplicate of this member starts again (PHP's json_decode: the last wins).
      current = nullptr;
    }
    return true;
  }
  // Appends a part of a string value, as far as the buffer and kMaxString allow.
  void keep(JsonField& f, std::string_view s) {
    f.kind = JsonField::Kind::string;
    std::size_t kept = self.used_ - string_start;
    std::size_t room = std::min(kMaxString - std::min(kMaxString, kept), self.buffer_.size() - self.used_);
    std::size_t take = std::min(room, s.size());
    std::memcpy(self.buffer_.data() + self.used_, s.data(), take);
    self.used_ += take;
  }

  bool on_number_part(std::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t i, std::string_view, ec_t&) {
    scalar(JsonField::Kind::integer);
    if (JsonField* f = target()) f->integer = i;
    return true;
  }
  bool on_uint64(std::uint64_t, std::string_view, ec_t&) {
    scalar(JsonField::Kind::number);  // beyond int64: no field wants such a number
    return true;
  }
  bool on_double(double, std::string_view, ec_t&) {
    scalar(JsonField::Kind::number);
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    scalar(JsonField::Kind::boolean);
    if (JsonField* f = target()) f->boolean = b;
    return true;
  }
  bool on_null(ec_t&) {
    scalar(JsonField::Kind::null);
    return true;
  }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
};

JsonFields::JsonFields(std::initializer_list<std::string_view> names) {
  if (names.size() > kMaxFields) throw std::logic_error("JsonFields: too many names");
  for (std::string_view n : names) names_[count_++] = n;
}

const JsonField& JsonFields::get(std::string_view name) const {
  for (std::size_t i = 0; i < count_; ++i)
    if (names_[i] == name) return fields_[i];
  throw std::logic_error("JsonFields: not a wanted name");
}

JsonFields::Status JsonFields::read(std::string_view body) {
  fields_ = {};
  used_ = 0;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::object;

  boost::json::basic_parser<Handler> parser(boost::json::parse_options{}, *this);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || n != body.size() || !parser.done()) {
    fields_ = {};
    return Status::malformed;
  }
  if (!parser.handler().top_is_object) {
    fields_ = {};
    return Status::not_object;
  }
  return Status::object;
}

}  // namespace presenced::presence
