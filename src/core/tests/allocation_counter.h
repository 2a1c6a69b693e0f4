// Test support: replaces the global operator new / delete with versions that count
// allocations while `g_counting` is set, so a test can assert that a hot path allocates
// nothing (DESIGN §10). The replacements are ordinary (non-inline) definitions, as the
// language requires, so include this header in exactly ONE translation unit of a test binary
// (each *_allocation_test binary is a single file). Threading: the counters are atomics; any
// thread's allocations count while counting is on.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace kalshiflow::testing {
inline std::atomic<bool> g_counting{false};
inline std::atomic<long> g_allocations{0};

inline void* CountedAlloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace kalshiflow::testing

void* operator new(std::size_t size) { return kalshiflow::testing::CountedAlloc(size); }
void* operator new[](std::size_t size) { return kalshiflow::testing::CountedAlloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return kalshiflow::testing::CountedAlloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
