#include "presence/scope.hpp"

#include <gtest/gtest.h>

using presenced::presence::Scope;

TEST(Scope, WithoutRestrictionEverythingIsAllowed) {
  Scope s;
  EXPECT_TRUE(s.allows("flow", "42"));
}

TEST(Scope, PatternsCoverATypeARecordOrEverything) {
  Scope s;
  s.restrict();
  ASSERT_TRUE(s.add("flow:*"));
  ASSERT_TRUE(s.add("form:42"));
  EXPECT_TRUE(s.allows("flow", "1"));
  EXPECT_TRUE(s.allows("form", "42"));
  EXPECT_FALSE(s.allows("form", "4"));
  EXPECT_FALSE(s.allows("form", "420"));
  EXPECT_FALSE(s.allows("flows", "1"));
  EXPECT_FALSE(s.allows("task", "42"));

  Scope by_id;
  by_id.restrict();
  ASSERT_TRUE(by_id.add("*:7"));
  EXPECT_TRUE(by_id.allows("flow", "7"));
  EXPECT_FALSE(by_id.allows("flow", "8"));

  Scope all;
  all.restrict();
  ASSERT_TRUE(all.add("*"));
  EXPECT_TRUE(all.allows("anything", "1"));
}

TEST(Scope, RestrictedAndEmptyAllowsNothing) {
  Scope s;
  s.restrict();
  EXPECT_FALSE(s.allows("flow", "1"));
}

TEST(Scope, WhatIsNotAPatternIsRefused) {
  Scope s;
  for (const char* bad : {"", ":", "flow", "flow:", ":1", "flow:4 2", "fl*w:1", "flow:**", "a:b:c", "flow:1/2",
                          "**"}) {
    EXPECT_FALSE(s.add(bad)) << bad;
  }
  for (int i = 0; i < static_cast<int>(Scope::kMaxPatterns); ++i) ASSERT_TRUE(s.add("flow:" + std::to_string(i)));
  EXPECT_FALSE(s.add("flow:x")) << "more than kMaxPatterns";
}
