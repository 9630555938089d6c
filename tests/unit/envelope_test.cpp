#include "http/envelope.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace presenced;

TEST(Envelope, ViewersEchoIdsAsGivenAndEscapeNames) {
  http::Response res;
  std::vector<presence::Viewer> viewers(2);
  viewers[0] = {"42", true, "Al \"the\" <b>ice</b> \xC3\xA9", 2, true, presence::Mode::edit, false, true, {"title", "a\"b"}, "https://cdn.example/a.png", {}};
  viewers[1] = {"u-7", false, "Bob\n", 1, false, presence::Mode::view, true, false, {}, "", {}};
  http::envelope::success_viewers(res, viewers, {.users = 3, .tabs = 4});
  auto json = boost::json::parse(res.body);
  EXPECT_EQ(json.at("data").at("count"), boost::json::parse(R"({"users":3,"tabs":4})"));
  auto& list = json.at("data").at("viewers").as_array();
  EXPECT_EQ(json.at("success").as_bool(), true);
  EXPECT_EQ(list[0].at("id").as_int64(), 42);
  EXPECT_EQ(list[0].at("name").as_string(), "Al \"the\" <b>ice</b> \xC3\xA9");
  EXPECT_EQ(list[0].at("tabs").as_int64(), 2);
  EXPECT_EQ(list[0].at("has_dirty_tab").as_bool(), true);
  EXPECT_EQ(list[0].at("mode").as_string(), "edit");
  EXPECT_EQ(list[1].at("id").as_string(), "u-7");
  EXPECT_EQ(list[1].at("name").as_string(), "Bob\n");
  EXPECT_EQ(list[0].at("away").as_bool(), false);
  EXPECT_EQ(list[0].at("stale").as_bool(), true);
  EXPECT_EQ(list[0].at("fields"), boost::json::parse(R"(["title","a\"b"])"));
  EXPECT_EQ(list[0].at("avatar_url").as_string(), "https://cdn.example/a.png");
  EXPECT_FALSE(list[1].as_object().contains("avatar_url")) << "only when the token had one";
  EXPECT_EQ(list[1].at("away").as_bool(), true);
  EXPECT_TRUE(list[1].at("fields").as_array().empty());
}

TEST(Envelope, ValidationErrorsKeyedByField) {
  http::Response res;
  presence::ValidationErrors errors;
  errors.add("tab_id", "The tab id field is required.");
  errors.add("mode", "The selected mode is invalid.");
  http::envelope::validation_error(res, errors);
  EXPECT_EQ(res.status, 422u);
  EXPECT_EQ(res.body,
            R"J({"success":false,"message":"The tab id field is required. (and 1 more error)",)J"
            R"J("errors":{"tab_id":["The tab id field is required."],"mode":["The selected mode is invalid."]}})J");
}

TEST(Envelope, HeadCarriesLengthConnectionAndExtraHeaders) {
  http::Response res;
  http::envelope::error(res, 429, "Too Many Attempts.");
  res.add_header("Retry-After", std::int64_t{12});
  std::string head;
  http::write_head(res, true, head);
  EXPECT_EQ(head.substr(0, 34), "HTTP/1.1 429 Too Many Requests\r\nSe");
  EXPECT_NE(head.find("Content-Length: " + std::to_string(res.body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(head.find("Retry-After: 12\r\n"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
}
