#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace kalshiflow::core {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KF_ASSIGN_OR_RETURN(int h, Half(x));
  KF_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int x) {
  if (x <= 0) return OutOfRangeError("not positive");
  return Status::Ok();
}

Status Both(int a, int b) {
  KF_RETURN_IF_ERROR(CheckPositive(a));
  KF_RETURN_IF_ERROR(CheckPositive(b));
  return Status::Ok();
}

TEST(StatusTest, CodesAndMessages) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFoundError("market X");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: market X");
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).error().message(), "odd");
  EXPECT_TRUE(Both(1, 2).ok());
  EXPECT_EQ(Both(1, -2).code(), StatusCode::kOutOfRange);
}

enum class MyError { kA, kB };

TEST(ResultTest, TypedErrorsAndMoveOnlyValues) {
  Result<std::unique_ptr<int>, MyError> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, 5);
  Result<std::unique_ptr<int>, MyError> e = Err(MyError::kB);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), MyError::kB);
  Result<int, MyError> d = Err(MyError::kA);
  EXPECT_EQ(d.value_or(7), 7);
}

TEST(ResultDeathTest, ValueOfErrorCrashesWithContext) {
  Result<int> r = InvalidArgumentError("bad thing");
  EXPECT_DEATH((void)r.value(), "bad thing");
}

}  // namespace
}  // namespace kalshiflow::core
