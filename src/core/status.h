// Error values: Status (a code plus a message) and Result<T, E> (a value or a typed error).
//
// Error policy (docs/architecture.md, "Errors"):
//  * an invariant broken -> KF_CHECK crashes with context;
//  * an expected failure (bad input, I/O, exchange reject) -> a returned Status / Result;
//  * exceptions only at startup/config and at library boundaries, caught at module edges.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/check.h"

namespace kalshiflow::core {

/// Broad error categories (the canonical gRPC/Abseil set we need).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input, bad value
  kNotFound,            // missing row, file, market
  kAlreadyExists,       // duplicate
  kOutOfRange,          // value outside its documented range
  kFailedPrecondition,  // wrong state (e.g. delta before snapshot)
  kResourceExhausted,   // queue full, rate limited
  kUnavailable,         // transient I/O failure; retry may succeed
  kDataLoss,            // corrupt file or stream
  kPermissionDenied,    // unsafe key file permissions, etc.
  kUnauthenticated,     // bad signature or credentials
  kUnimplemented,
  kInternal,
};

/// Stable lower-case name of a code, e.g. "invalid_argument".
std::string_view StatusCodeName(StatusCode code);

/// A success or an error code with a human-readable message naming what was wrong.
/// Cheap to construct and move when ok (no allocation). Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "invalid_argument: <message>", or "ok".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status OutOfRangeError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);

/// Wraps an error value so that Result<T, E> can be built from it unambiguously.
template <typename E>
struct Unexpected {
  E error;
};

/// Makes an Unexpected<E>: `return core::Err(DecodeError{...});`
template <typename E>
Unexpected<std::decay_t<E>> Err(E&& error) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

/// Either a value of type T or an error of type E (default Status), in the spirit of
/// std::expected (C++23). Accessing the value of an error result is an invariant violation
/// and crashes with the error in the message.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, E>, "value and error types must differ");

 public:
  using value_type = T;
  using error_type = E;

  Result(const T& value) : storage_(std::in_place_index<0>, value) {}        // NOLINT: implicit
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT: implicit by design
      : storage_(std::in_place_index<1>, E(std::move(error.error))) {}
  /// A Status-typed Result may be built from a (non-ok) Status directly.
  Result(const Status& status)  // NOLINT
      requires std::is_same_v<E, Status> : storage_(std::in_place_index<1>, status) {
    KF_CHECK(!status.ok(), "Result built from an ok Status without a value");
  }
  Result(Status&& status)  // NOLINT
      requires std::is_same_v<E, Status> : storage_(std::in_place_index<1>, std::move(status)) {
    KF_CHECK(!std::get<1>(storage_).ok(), "Result built from an ok Status without a value");
  }

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    CheckOk();
    return std::get<0>(storage_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<0>(storage_);
  }
  T&& value() && {
    CheckOk();
    return std::get<0>(std::move(storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; crashes if this holds a value.
  const E& error() const {
    KF_CHECK(!ok(), "error() called on a Result holding a value");
    return std::get<1>(storage_);
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckOk() const {
    if constexpr (std::is_same_v<E, Status>) {
      KF_CHECK(ok(), "value() on an error Result: {}", std::get<1>(storage_).ToString());
    } else {
      KF_CHECK(ok(), "value() on an error Result");
    }
  }
  std::variant<T, E> storage_;
};

}  // namespace kalshiflow::core

#define KF_CONCAT_INNER(a, b) a##b
#define KF_CONCAT(a, b) KF_CONCAT_INNER(a, b)

/// Returns the Status from the enclosing function if `expr` (a Status) is not ok.
#define KF_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::kalshiflow::core::Status kf_status_ = (expr); \
    if (!kf_status_.ok()) [[unlikely]]              \
      return kf_status_;                            \
  } while (false)

/// KF_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (a Result<T, Status>); on error returns
/// its Status from the enclosing function, otherwise moves the value into `lhs`.
#define KF_ASSIGN_OR_RETURN(lhs, expr) \
  KF_ASSIGN_OR_RETURN_IMPL(KF_CONCAT(kf_result_, __LINE__), lhs, expr)
#define KF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) [[unlikely]]                    \
    return tmp.error();                          \
  lhs = std::move(tmp).value()
