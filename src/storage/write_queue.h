// WriteQueue: the non-blocking, bounded hand-off from the collector (and later the actor) to
// the database (DESIGN §2 "Life of a delta", §4, §11).
//
// Producers call TryEnqueue, which never waits for I/O: it takes a short internal lock, and
// when the queue is full it refuses the row and counts a drop. One writer thread owned by the
// queue batches rows into Store::WriteBatch: a batch is written as soon as `batch_size` rows
// wait, or when the oldest waiting row is `batch_interval` old, or on Flush/Shutdown (defaults:
// 100 rows or 1 s, as in the original system). When the store fails with a transient error
// (Unavailable, ResourceExhausted: database locked, I/O error, disk full) the writer keeps the
// batch and retries it with exponential backoff; the rows keep counting against the bound, new
// rows are accepted until it is reached and dropped (counted) after that; recovery is
// automatic. A batch the store rejects for any other reason (a row naming an unknown session,
// a constraint) is retried row by row so that only the offending rows are lost (counted as
// `rejected`, logged with the store's error).
//
// Threading contract:
//  * TryEnqueue, Flush, Stats: thread-safe, any number of producer threads.
//  * The Store is called only from the writer thread (plus whatever other threads the owner
//    uses it from; Store implementations are thread-safe). It must outlive the queue.
//  * The SnapshotProvider runs on the thread calling TryEnqueue, outside every queue lock,
//    so it may read producer-owned state (the collector's books) without synchronisation.
//    It must not call back into the queue.
//  * Shutdown (also run by the destructor) may be called from any thread, once or many times.
//    Producers must have stopped calling TryEnqueue before the queue is destroyed (calls after
//    Shutdown but before destruction are fine: they are refused and counted).
//  * Rows are written in the order they were accepted (FIFO over all producers).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/market.h"
#include "core/status.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace kalshiflow::storage {

/// The current book of one market, as a producer hands it to the queue (bids only, NO side in
/// NO-leg prices, same conventions as SnapshotRow).
struct BookLevels {
  std::vector<core::PriceLevel> yes_bids;
  std::vector<core::PriceLevel> no_bids;
};

/// Returns the current book of `market_ticker` in `session` *including* the delta being
/// enqueued (the collector applies a delta to its book before enqueuing it), or nullopt when
/// it has no valid book (e.g. stale after a sequence gap; the queue asks again at the next
/// kept delta). Runs on the producer's thread.
using SnapshotProvider =
    std::function<std::optional<BookLevels>(SessionId session, std::string_view market_ticker)>;

/// Tuning of a WriteQueue. Every field has a default; Create validates them.
struct WriteQueueOptions {
  /// Maximum rows held: waiting plus being written (>= 1). Memory is bounded by this.
  size_t capacity = 100'000;
  /// Write as soon as this many rows wait (>= 1).
  size_t batch_size = 100;
  /// ... or when the oldest waiting row has waited this long (> 0).
  std::chrono::milliseconds batch_interval{1'000};
  /// Most rows per transaction when the writer catches up on a backlog (>= batch_size).
  size_t max_batch_rows = 1'000;
  /// Backoff between retries of a failing batch: starts here, doubles, capped (> 0, max >= it).
  std::chrono::milliseconds retry_initial_backoff{50};
  std::chrono::milliseconds retry_max_backoff{5'000};
  /// How long Shutdown keeps retrying a failing store before abandoning the remaining rows
  /// (counted as `abandoned`; Shutdown then returns DataLoss). A working store is never cut
  /// short: this bounds only the time spent waiting out failures.
  std::chrono::milliseconds shutdown_timeout{60'000};
  /// Delta sampling for storage: keep 1 of every N deltas per (session, market) — the 1st,
  /// the N+1st, ... (>= 1; 1 = keep all, no sampling). Sampled-out deltas are not stored.
  int64_t delta_sample_every = 1;
  /// With N > 1: after every K kept deltas of a market (>= 1), store a synthetic snapshot of
  /// that market taken from `snapshot_provider`, so the stored book is exact at every stored
  /// snapshot (between them, it is approximate: the sampled-out deltas are missing).
  /// An exchange snapshot enqueued by the producer restarts the count for its market.
  int64_t snapshot_every_kept_deltas = 100;
  /// Required when delta_sample_every > 1.
  SnapshotProvider snapshot_provider;
  /// Optional: called on the writer thread with every batch right after its transaction
  /// committed (for latency measurement and commit notifications). Must not block long or
  /// call back into the queue. Not called for rows retried one by one after a rejection.
  std::function<void(std::span<const Row>)> on_committed;
};

/// Counters of a WriteQueue. Invariant: accepted == written + rejected + abandoned + depth.
struct WriteQueueStats {
  size_t depth = 0;                     // rows waiting + being written
  uint64_t accepted = 0;                // rows TryEnqueue took in (incl. synthetic snapshots)
  uint64_t written = 0;                 // rows committed by the store
  uint64_t dropped = 0;                 // rows refused because the queue was full
  uint64_t dropped_after_shutdown = 0;  // rows refused because Shutdown had begun
  uint64_t rejected = 0;                // rows the store refused permanently (not retried)
  uint64_t abandoned = 0;               // rows given up at the shutdown deadline
  uint64_t batches = 0;                 // successful Store::WriteBatch calls
  uint64_t write_errors = 0;            // failed Store::WriteBatch calls (every retry counts)
  uint64_t deltas_sampled_out = 0;      // deltas not stored because of sampling
  uint64_t snapshots_synthesized = 0;   // synthetic snapshots accepted (sampling)
  bool store_failing = false;           // the latest WriteBatch failed and is being retried
  std::string last_error;               // latest store error (empty when none so far)
};

/// Bounded multi-producer queue with its own writer thread (see the file comment).
class WriteQueue {
 public:
  /// Validates `options` (InvalidArgument naming the bad field) and starts the writer thread.
  /// `store` must outlive the returned queue.
  static core::Result<std::unique_ptr<WriteQueue>> Create(Store& store,
                                                          WriteQueueOptions options = {});
  /// Runs Shutdown() unless the owner already did (its status is then logged when not ok).
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  /// Offers a row; never blocks on I/O. Returns true when the row was accepted (it will be
  /// written unless the store rejects it or shutdown abandons it) or deliberately sampled out
  /// (a delta with delta_sample_every > 1); false when it was dropped because the queue is full
  /// or shut down (counted). With sampling, a kept delta may also enqueue a synthetic snapshot
  /// (calling the SnapshotProvider on this thread); if that snapshot does not fit it is counted
  /// as dropped and retried at the next kept delta, and the return value still describes the
  /// delta. Thread-safe.
  bool TryEnqueue(Row row);

  /// Waits until every row accepted before this call has left the queue (written, or rejected
  /// by the store), or until `timeout`. Returns true when done. While the store is failing,
  /// this waits for its recovery (bounded only by `timeout`). Thread-safe; also fine during or
  /// after Shutdown (abandoned rows count as having left).
  bool Flush(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Stops accepting rows, writes everything accepted, stops the writer thread. Ok when every
  /// accepted row was written or rejected; DataLoss naming the number of abandoned rows when
  /// the store kept failing past options.shutdown_timeout. Idempotent, thread-safe.
  core::Status Shutdown();

  /// A consistent snapshot of the counters. Thread-safe.
  WriteQueueStats Stats() const;

 private:
  WriteQueue(Store& store, WriteQueueOptions options);
  bool Push(Row&& row);
  void Run();
  void WriteChunk(std::span<const Row> chunk);
  bool WaitBackoff(std::chrono::milliseconds backoff);
  void Complete(size_t rows, uint64_t written, uint64_t rejected, uint64_t abandoned);

  using SteadyClock = std::chrono::steady_clock;

  // Sampling state of one (session, market).
  struct SampleState {
    int64_t seen = 0;  // deltas offered
    int64_t kept_since_snapshot = 0;
  };

  Store& store_;
  const WriteQueueOptions options_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;  // wakes the writer: rows, flush, shutdown
  std::condition_variable done_cv_;    // wakes Flush callers: rows completed
  std::vector<Row> pending_;           // accepted, not yet taken by the writer   (mu_)
  SteadyClock::time_point oldest_;     // when pending_ became non-empty          (mu_)
  size_t in_flight_ = 0;               // rows the writer holds                    (mu_)
  uint64_t completed_ = 0;             // written + rejected + abandoned           (mu_)
  uint64_t flush_target_ = 0;          // write without waiting until completed_ >= this (mu_)
  bool closed_ = false;                // Shutdown begun: refuse rows              (mu_)
  bool stop_ = false;                  // writer: exit once pending_ is empty      (mu_)
  bool abandon_all_ = false;           // shutdown deadline passed while failing   (mu_)
  SteadyClock::time_point shutdown_deadline_;  //                                 (mu_)
  uint64_t consecutive_failures_ = 0;          //                                         (mu_)
  uint64_t dropped_logged_ = 0;                // drops already reported in the log       (mu_)
  WriteQueueStats stats_;                      // counters except depth                    (mu_)

  mutable std::mutex sample_mu_;
  std::unordered_map<SessionId, std::unordered_map<std::string, SampleState>>
      sample_state_;  // (sample_mu_)
  struct {
    uint64_t deltas_sampled_out = 0;
    uint64_t snapshots_synthesized = 0;
  } stats_sampling_;  // (sample_mu_)

  std::mutex shutdown_mu_;  // serialises Shutdown callers around the join
  bool joined_ = false;     // (shutdown_mu_)
  std::thread writer_;      // started last in Create
};

}  // namespace kalshiflow::storage
