// Invariant checks. A broken invariant (programmer error, corrupt internal state) crashes
// with context in every build; expected failures are returned as values (see status.h).
#pragma once

#include <fmt/core.h>

#include <cstdlib>

namespace kalshiflow::core::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& message);
}  // namespace kalshiflow::core::internal

/// KF_CHECK(cond, "format {}", args...): aborts with file, line, the condition and the
/// formatted message when `cond` is false. Enabled in all builds.
#define KF_CHECK(cond, ...)                                                     \
  do {                                                                          \
    if (!(cond)) [[unlikely]] {                                                 \
      ::kalshiflow::core::internal::CheckFailed(__FILE__, __LINE__, #cond,      \
                                                ::fmt::format("" __VA_ARGS__)); \
    }                                                                           \
  } while (false)

/// KF_DCHECK: like KF_CHECK in debug builds, compiled out (condition not evaluated) in NDEBUG.
#ifdef NDEBUG
#define KF_DCHECK(cond, ...) \
  do {                       \
  } while (false)
#else
#define KF_DCHECK(cond, ...) KF_CHECK(cond, __VA_ARGS__)
#endif
