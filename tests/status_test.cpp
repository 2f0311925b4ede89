#include "llmcu/status.h"

#include <gtest/gtest.h>

#include <string>

namespace llmcu {
namespace {

TEST(Status, CarriesCodeAndMessageWithContext) {
  Status s = Status::error(StatusCode::kInvalidFormat, "truncated: header says %d bytes", 10);
  s.with_context("model.bin");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidFormat);
  EXPECT_STREQ(s.message(), "model.bin: truncated: header says 10 bytes");
  EXPECT_STREQ(Status::ok().message(), "ok");
}

TEST(Status, LongMessagesAreCutNotOverflowed) {
  const std::string long_text(1000, 'x');
  Status s = Status::error(StatusCode::kInvalidArgument, "%s", long_text.c_str());
  s.with_context(long_text.c_str());
  EXPECT_EQ(std::string(s.message()).size(), Status::kMaxMessage - 1);
}

TEST(Result, HoldsAValueOrAStatus) {
  Result<int> good = 5;
  EXPECT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 5);
  Result<int> bad = Status::error(StatusCode::kOutOfRange, "no");
  EXPECT_FALSE(bad.is_ok());
  EXPECT_STREQ(bad.status().message(), "no");
}

}  // namespace
}  // namespace llmcu
