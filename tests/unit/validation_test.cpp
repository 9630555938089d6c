#include "presence/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

namespace {
using namespace presenced::presence;

struct Checked {
  bool ok;
  BodyStatus status;
  HeartbeatInput input;
  ValidationErrors errors;
  std::shared_ptr<HeartbeatBody> body;  // owns what input views
};

Checked heartbeat(std::string_view json) {
  Checked c;
  c.body = std::make_shared<HeartbeatBody>();
  c.status = read_heartbeat(json, *c.body, c.errors);
  c.ok = c.status == BodyStatus::valid;
  c.input = c.body->input;
  return c;
}

std::vector<std::string> fields_of(const ValidationErrors& e) {
  std::vector<std::string> f;
  for (auto& [name, messages] : e.fields()) f.push_back(name);
  return f;
}
}  // namespace

TEST(Validation, AcceptsAWellFormedHeartbeat) {
  auto c = heartbeat(R"({"tab_id":"tab_1732_abc.x:y-z","mode":"edit","dirty":true,"active_field":"title"})");
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.input.tab_id, "tab_1732_abc.x:y-z");
  EXPECT_EQ(c.input.mode, Mode::edit);
  EXPECT_TRUE(c.input.dirty);
  EXPECT_EQ(c.input.active_field, "title");
}

TEST(Validation, DirtyAcceptsWhatLaravelsBooleanRuleAccepts) {
  for (auto [text, value] : std::vector<std::pair<const char*, bool>>{
           {"true", true}, {"false", false}, {"1", true}, {"0", false}, {"\"1\"", true}, {"\"0\"", false}}) {
    auto c = heartbeat(std::string(R"({"tab_id":"t","mode":"view","dirty":)") + text + "}");
    ASSERT_TRUE(c.ok) << text;
    EXPECT_EQ(c.input.dirty, value) << text;
  }
  for (const char* text : {"\"true\"", "\"yes\"", "2", "-1", "1.0", "[]", "{}"}) {
    auto c = heartbeat(std::string(R"({"tab_id":"t","mode":"view","dirty":)") + text + "}");
    EXPECT_FALSE(c.ok) << text;
    EXPECT_EQ(fields_of(c.errors), std::vector<std::string>{"dirty"}) << text;
  }
}

TEST(Validation, ReportsEveryFaultyFieldAtOnceInLaravelsWords) {
  auto c = heartbeat(R"({"mode":"delete","dirty":null})");
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(fields_of(c.errors), (std::vector<std::string>{"tab_id", "mode", "dirty"}));
  EXPECT_EQ(c.errors.fields()[0].second[0], "The tab id field is required.");
  EXPECT_EQ(c.errors.fields()[1].second[0], "The selected mode is invalid.");
  EXPECT_EQ(c.errors.fields()[2].second[0], "The dirty field is required.");
  EXPECT_EQ(c.errors.summary(), "The tab id field is required. (and 2 more errors)");
}

TEST(Validation, NonObjectBodyIsAnEmptyInput) {
  for (const char* body : {"[]", "\"x\"", "42", "null", "", "  \n"}) {
    auto c = heartbeat(body);
    EXPECT_EQ(fields_of(c.errors), (std::vector<std::string>{"tab_id", "mode", "dirty"})) << body;
  }
}

TEST(Validation, TabIdCharactersAndLength) {
  EXPECT_TRUE(heartbeat(R"({"tab_id":")" + std::string(128, 'a') + R"(","mode":"view","dirty":0})").ok);
  auto too_long = heartbeat(R"({"tab_id":")" + std::string(129, 'a') + R"(","mode":"view","dirty":0})");
  EXPECT_EQ(too_long.errors.fields()[0].second[0], "The tab id field must not be greater than 128 characters.");
  for (const char* id : {"a b", "a/b", "a%20", "ä", "a\\\"b", "a\\u0000"}) {
    auto c = heartbeat(std::string(R"({"tab_id":")") + id + R"(","mode":"view","dirty":0})");
    ASSERT_FALSE(c.ok) << id;
    EXPECT_EQ(c.errors.fields()[0].second[0], "The tab id field format is invalid.") << id;
  }
  auto number = heartbeat(R"({"tab_id":12,"mode":"view","dirty":0})");
  EXPECT_EQ(number.errors.fields()[0].second[0], "The tab id field must be a string.");
}

TEST(Validation, ActiveFieldIsOptionalAndCountsCharacters) {
  EXPECT_EQ(heartbeat(R"({"tab_id":"t","mode":"view","dirty":0})").input.active_field, "");
  EXPECT_EQ(heartbeat(R"({"tab_id":"t","mode":"view","dirty":0,"active_field":null})").input.active_field, "");
  // 64 three-byte characters are 64 characters: allowed.
  std::string wide;
  for (int i = 0; i < 64; ++i) wide += "\xE2\x82\xAC";
  EXPECT_TRUE(heartbeat(R"({"tab_id":"t","mode":"view","dirty":0,"active_field":")" + wide + "\"}").ok);
  auto long_field = heartbeat(R"({"tab_id":"t","mode":"view","dirty":0,"active_field":")" + std::string(65, 'f') + "\"}");
  EXPECT_EQ(fields_of(long_field.errors), std::vector<std::string>{"active_field"});
  EXPECT_FALSE(heartbeat(R"({"tab_id":"t","mode":"view","dirty":0,"active_field":5})").ok);
}

TEST(Validation, UnregisterNeedsAValidTabId) {
  UnregisterBody ok, bad;
  ValidationErrors e1, e2;
  EXPECT_EQ(read_unregister(R"({"tab_id":"t1"})", ok, e1), BodyStatus::valid);
  EXPECT_EQ(ok.tab_id, "t1");
  EXPECT_EQ(read_unregister(R"({"tab_id":"t 1"})", bad, e2), BodyStatus::invalid);
}

TEST(Validation, MalformedJsonIsNotAValidationError) {
  for (const char* json : {R"({"tab_id":)", "{'a':1}", "[1,]", "{\"a\":\"\xff\"}", R"({"a":1} x)", "nul"}) {
    auto c = heartbeat(json);
    EXPECT_EQ(c.status, BodyStatus::malformed) << json;
    EXPECT_TRUE(c.errors.empty()) << json;
  }
}

TEST(Validation, EscapesAreDecodedBeforeTheRulesApply) {
  auto c = heartbeat(R"({"tab_id":"tab\u005f1","mode":"\u0065dit","dirty":"\u0031"})");
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.input.tab_id, "tab_1");
  EXPECT_EQ(c.input.mode, Mode::edit);
  EXPECT_TRUE(c.input.dirty);
  auto space = heartbeat(R"({"tab_id":"a\u0020b","mode":"view","dirty":0})");
  EXPECT_FALSE(space.ok);
}

TEST(Validation, Segments) {
  EXPECT_TRUE(is_valid_segment("flow"));
  EXPECT_TRUE(is_valid_segment("Flow_2-b"));
  EXPECT_TRUE(is_valid_segment(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_segment(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_segment(""));
  EXPECT_FALSE(is_valid_segment("a:b"));
  EXPECT_FALSE(is_valid_segment("a.b"));
  EXPECT_FALSE(is_valid_segment("a b"));
}

// A value cut short by the reader's buffer is never accepted as a shorter one: "viewJUNK"
// after kilobytes of other wanted members was once read as "view".
TEST(Validation, AValueCutShortIsNeverAccepted) {
  // Earlier duplicates fill the buffer so that exactly four bytes are left for mode.
  auto c = heartbeat(R"({"active_field":")" + std::string(1253, 'a') + R"(","tab_id":")" + std::string(1300, 'f') +
                     R"(","active_field":"x","tab_id":"t1","dirty":false,"mode":"viewJUNK"})");
  EXPECT_FALSE(c.ok) << "mode viewJUNK was read as view";
  EXPECT_EQ(fields_of(c.errors), std::vector<std::string>{"mode"}) << c.errors.summary();

  // Duplicates give their place back: the last one counts, and is read whole.
  auto d = heartbeat(R"({"mode":")" + std::string(2040, 'x') + R"(","mode":")" + std::string(2040, 'y') +
                     R"(","tab_id":"t1","dirty":false,"mode":"edit"})");
  ASSERT_TRUE(d.ok) << d.errors.summary();
  EXPECT_EQ(d.input.mode, Mode::edit);
  EXPECT_EQ(d.input.tab_id, "t1");
}
