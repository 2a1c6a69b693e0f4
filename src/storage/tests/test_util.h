// Test helpers for the storage tests: temporary directories, row builders, a delegating Store
// decorator (used to slow down or fail a real SqliteStore), and polling.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/sqlite_store.h"
#include "storage/store.h"

namespace kalshiflow::storage::testing {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kf-storage-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path,
                                              const OpenOptions& options = {}) {
  auto store = SqliteStore::Open(path, options);
  KF_CHECK(store.ok(), "open {}: {}", path, store.error().ToString());
  return std::move(store).value();
}

inline SessionId NewSessionOrDie(Store& store, Environment environment = Environment::kLocal,
                                 std::vector<std::string> tickers = {"KXTEST-26JAN01-T1"}) {
  NewSession session;
  session.market_tickers = std::move(tickers);
  session.websocket_url = "ws://127.0.0.1:8765/trade-api/ws/v2";
  session.environment = environment;
  session.started_at = core::Timestamp::FromSeconds(1'767'225'600);
  auto id = store.CreateSession(session);
  KF_CHECK(id.ok(), "create session: {}", id.error().ToString());
  return *id;
}

inline DeltaRow MakeDelta(SessionId session, std::string ticker, int64_t seq, int64_t local_ns,
                          int64_t price_units = 5'600, int64_t delta_units = 1'000,
                          core::OutcomeSide side = core::OutcomeSide::kYes, int64_t sid = 1) {
  DeltaRow row;
  row.session_id = session;
  row.market_ticker = std::move(ticker);
  row.sid = sid;
  row.seq = seq;
  row.exchange_ts_ms = local_ns / 1'000'000 - 3;
  row.local_ts = core::Timestamp::FromNanos(local_ns);
  row.side = side;
  row.price = core::Price::FromUnits(price_units);
  row.delta = core::Count::FromUnits(delta_units);
  return row;
}

inline core::PriceLevel Level(int64_t price_units, int64_t count_units) {
  return core::PriceLevel{core::Price::FromUnits(price_units), core::Count::FromUnits(count_units)};
}

/// Row count of one table via Store::TableRowCounts (-1 when the table is missing).
inline int64_t CountRows(Store& store, std::string_view table) {
  auto counts = store.TableRowCounts();
  KF_CHECK(counts.ok(), "row counts: {}", counts.error().ToString());
  for (const auto& c : *counts) {
    if (c.table == table) return c.rows;
  }
  return -1;
}

/// Polls `condition` every 2 ms until it holds or `limit` passes (a generous bound that only
/// turns a hang into a failure; no test asserts on speed). Returns the final value.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Forwards every call to a real store; tests override WriteBatch behaviour through a hook.
/// The hook runs before forwarding; a non-ok status from it is returned instead.
class DelegatingStore : public Store {
 public:
  explicit DelegatingStore(Store& inner) : inner_(inner) {}
  std::function<core::Status(std::span<const Row>)> before_write;

  core::Result<std::vector<int>> Migrate() override { return inner_.Migrate(); }
  core::Result<int> SchemaVersion() override { return inner_.SchemaVersion(); }
  core::Result<std::vector<TableRowCount>> TableRowCounts() override {
    return inner_.TableRowCounts();
  }
  core::Result<SessionId> CreateSession(const NewSession& s) override {
    return inner_.CreateSession(s);
  }
  core::Status CloseSession(SessionId id, const SessionEnd& end) override {
    return inner_.CloseSession(id, end);
  }
  core::Result<SessionInfo> GetSession(SessionId id) override { return inner_.GetSession(id); }
  core::Result<std::vector<SessionInfo>> ListSessions(const SessionFilter& f) override {
    return inner_.ListSessions(f);
  }
  core::Result<SessionCounts> RecountSession(SessionId id) override {
    return inner_.RecountSession(id);
  }
  core::Result<int64_t> RecoverSessions(core::Timestamp now) override {
    return inner_.RecoverSessions(now);
  }
  core::Status WriteBatch(std::span<const Row> rows) override {
    if (before_write) {
      core::Status status = before_write(rows);
      if (!status.ok()) return status;
    }
    return inner_.WriteBatch(rows);
  }
  core::Status ReadSessionUpdates(SessionId id, const ReplayQuery& q,
                                  const ReplayCallback& cb) override {
    return inner_.ReadSessionUpdates(id, q, cb);
  }
  core::Status ReadRawFrames(SessionId id, const RawFrameCallback& cb) override {
    return inner_.ReadRawFrames(id, cb);
  }
  core::Result<ModelInfo> CreateModel(const NewModel& m) override { return inner_.CreateModel(m); }
  core::Result<ModelInfo> GetModel(ModelId id) override { return inner_.GetModel(id); }
  core::Result<ModelInfo> FindLatestModel(std::string_view name) override {
    return inner_.FindLatestModel(name);
  }
  core::Result<std::vector<ModelInfo>> ListModels(const ModelFilter& f) override {
    return inner_.ListModels(f);
  }
  core::Result<ModelInfo> UpdateModel(ModelId id, const ModelUpdate& u) override {
    return inner_.UpdateModel(id, u);
  }

 private:
  Store& inner_;
};

/// A gate the writer thread can be held at: Wait() blocks until Open().
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiters_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int waiters() {
    std::lock_guard lock(mu_);
    return waiters_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiters_ = 0;
};

}  // namespace kalshiflow::storage::testing
