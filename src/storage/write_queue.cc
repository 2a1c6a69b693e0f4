#include "storage/write_queue.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace kalshiflow::storage {
namespace {

bool IsTransient(const core::Status& status) {
  return status.code() == core::StatusCode::kUnavailable ||
         status.code() == core::StatusCode::kResourceExhausted;
}

core::Status CallStore(Store& store, std::span<const Row> rows) {
  try {
    return store.WriteBatch(rows);
  } catch (const std::exception& e) {
    return core::InternalError(fmt::format("store threw from WriteBatch: {}", e.what()));
  } catch (...) {
    return core::InternalError("store threw from WriteBatch");
  }
}

}  // namespace

core::Result<std::unique_ptr<WriteQueue>> WriteQueue::Create(Store& store,
                                                             WriteQueueOptions options) {
  auto bad = [](std::string_view what) {
    return core::InvalidArgumentError(fmt::format("write queue options: {}", what));
  };
  if (options.capacity < 1) return bad("capacity must be >= 1");
  if (options.batch_size < 1) return bad("batch_size must be >= 1");
  if (options.max_batch_rows < options.batch_size)
    return bad("max_batch_rows must be >= batch_size");
  if (options.batch_interval.count() <= 0) return bad("batch_interval must be > 0");
  if (options.retry_initial_backoff.count() <= 0) return bad("retry_initial_backoff must be > 0");
  if (options.retry_max_backoff < options.retry_initial_backoff) {
    return bad("retry_max_backoff must be >= retry_initial_backoff");
  }
  if (options.shutdown_timeout.count() < 0) return bad("shutdown_timeout must be >= 0");
  if (options.delta_sample_every < 1) return bad("delta_sample_every must be >= 1");
  if (options.delta_sample_every > 1) {
    if (options.snapshot_every_kept_deltas < 1) {
      return bad("snapshot_every_kept_deltas must be >= 1 when sampling deltas");
    }
    if (!options.snapshot_provider) {
      return bad("snapshot_provider is required when delta_sample_every > 1");
    }
  }
  std::unique_ptr<WriteQueue> queue(new WriteQueue(store, std::move(options)));
  queue->writer_ = std::thread([q = queue.get()] { q->Run(); });
  return queue;
}

WriteQueue::WriteQueue(Store& store, WriteQueueOptions options)
    : store_(store), options_(std::move(options)) {
  pending_.reserve(std::min(options_.capacity, options_.max_batch_rows));
}

WriteQueue::~WriteQueue() {
  {
    std::lock_guard lock(shutdown_mu_);
    if (joined_) return;  // the owner already shut down (and saw the status)
  }
  core::Status status = Shutdown();
  if (!status.ok()) spdlog::error("write queue: shutdown: {}", status.ToString());
}

bool WriteQueue::TryEnqueue(Row row) {
  if (options_.delta_sample_every > 1) {
    if (auto* delta = std::get_if<DeltaRow>(&row)) {
      bool keep = false;
      bool snapshot_due = false;
      {
        std::lock_guard lock(sample_mu_);
        SampleState& state = sample_state_[delta->session_id][delta->market_ticker];
        keep = state.seen % options_.delta_sample_every == 0;
        ++state.seen;
        if (keep) {
          ++state.kept_since_snapshot;
          snapshot_due = state.kept_since_snapshot >= options_.snapshot_every_kept_deltas;
        } else {
          ++stats_sampling_.deltas_sampled_out;
        }
      }
      if (!keep) return true;
      if (!snapshot_due) return Push(std::move(row));
      // Build the synthetic snapshot's identity before the delta is moved away.
      SnapshotRow snapshot;
      snapshot.session_id = delta->session_id;
      snapshot.market_ticker = delta->market_ticker;
      snapshot.sid = delta->sid;
      snapshot.seq = delta->seq;
      snapshot.exchange_ts_ms = delta->exchange_ts_ms;
      snapshot.local_ts = delta->local_ts;
      snapshot.synthetic = true;
      bool accepted = Push(std::move(row));
      if (!accepted) return false;
      std::optional<BookLevels> levels =
          options_.snapshot_provider(snapshot.session_id, snapshot.market_ticker);
      if (!levels) return true;  // no valid book now: asked again at the next kept delta
      snapshot.yes_bids = std::move(levels->yes_bids);
      snapshot.no_bids = std::move(levels->no_bids);
      SessionId session = snapshot.session_id;
      std::string ticker = snapshot.market_ticker;
      if (Push(Row(std::move(snapshot)))) {
        std::lock_guard lock(sample_mu_);
        sample_state_[session][ticker].kept_since_snapshot = 0;
        ++stats_sampling_.snapshots_synthesized;
      }
      return true;
    }
    if (auto* snapshot = std::get_if<SnapshotRow>(&row);
        snapshot != nullptr && !snapshot->synthetic) {
      SessionId session = snapshot->session_id;
      std::string ticker = snapshot->market_ticker;
      bool accepted = Push(std::move(row));
      if (accepted) {
        std::lock_guard lock(sample_mu_);
        sample_state_[session][ticker].kept_since_snapshot = 0;
      }
      return accepted;
    }
  }
  return Push(std::move(row));
}

bool WriteQueue::Push(Row&& row) {
  std::unique_lock lock(mu_);
  if (closed_) {
    ++stats_.dropped_after_shutdown;
    return false;
  }
  if (pending_.size() + in_flight_ >= options_.capacity) {
    ++stats_.dropped;
    return false;
  }
  const bool was_empty = pending_.empty();
  if (was_empty) oldest_ = SteadyClock::now();
  pending_.push_back(std::move(row));
  ++stats_.accepted;
  // Wake the writer only when it has something new to decide: the first row (it starts the
  // interval timer) and the size threshold. Other pushes need no syscall.
  const bool wake = was_empty || pending_.size() == options_.batch_size;
  lock.unlock();
  if (wake) writer_cv_.notify_one();
  return true;
}

bool WriteQueue::Flush(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(mu_);
  const uint64_t target = stats_.accepted;
  if (completed_ >= target) return true;
  flush_target_ = std::max(flush_target_, target);
  writer_cv_.notify_one();
  auto done = [&] { return completed_ >= target; };
  if (!timeout) {
    done_cv_.wait(lock, done);
    return true;
  }
  return done_cv_.wait_for(lock, *timeout, done);
}

core::Status WriteQueue::Shutdown() {
  std::lock_guard shutdown_lock(shutdown_mu_);
  if (!joined_) {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      stop_ = true;
      shutdown_deadline_ = SteadyClock::now() + options_.shutdown_timeout;
    }
    writer_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    joined_ = true;
  }
  std::lock_guard lock(mu_);
  if (stats_.abandoned > 0) {
    return core::DataLossError(fmt::format(
        "write queue: {} accepted rows were abandoned at shutdown because the store kept "
        "failing for {} ms; last error: {}",
        stats_.abandoned, options_.shutdown_timeout.count(), stats_.last_error));
  }
  return core::Status::Ok();
}

WriteQueueStats WriteQueue::Stats() const {
  WriteQueueStats out;
  {
    std::lock_guard lock(mu_);
    out = stats_;
    out.depth = pending_.size() + in_flight_;
  }
  std::lock_guard lock(sample_mu_);
  out.deltas_sampled_out = stats_sampling_.deltas_sampled_out;
  out.snapshots_synthesized = stats_sampling_.snapshots_synthesized;
  return out;
}

void WriteQueue::Run() {
  std::vector<Row> batch;
  batch.reserve(std::min(options_.capacity, options_.max_batch_rows));
  while (true) {
    {
      std::unique_lock lock(mu_);
      while (true) {
        if (pending_.empty()) {
          if (stop_) return;
          writer_cv_.wait(lock);
          continue;
        }
        if (stop_ || abandon_all_ || pending_.size() >= options_.batch_size ||
            flush_target_ > completed_) {
          break;
        }
        const auto deadline = oldest_ + options_.batch_interval;
        if (SteadyClock::now() >= deadline) break;
        writer_cv_.wait_until(lock, deadline);
      }
      batch.clear();
      std::swap(batch, pending_);  // O(1): producers keep pushing into the swapped-in buffer
      in_flight_ = batch.size();
    }
    std::span<const Row> all(batch);
    for (size_t begin = 0; begin < all.size(); begin += options_.max_batch_rows) {
      WriteChunk(all.subspan(begin, std::min(options_.max_batch_rows, all.size() - begin)));
    }
    batch.clear();
  }
}

void WriteQueue::WriteChunk(std::span<const Row> chunk) {
  auto backoff = options_.retry_initial_backoff;
  while (true) {
    bool abandon = false;
    {
      std::lock_guard lock(mu_);
      abandon = abandon_all_;
    }
    if (abandon) {
      Complete(chunk.size(), 0, 0, chunk.size());
      return;
    }
    core::Status status = CallStore(store_, chunk);
    if (status.ok()) {
      uint64_t failures = 0;
      {
        std::lock_guard lock(mu_);
        failures = consecutive_failures_;
        consecutive_failures_ = 0;
        stats_.store_failing = false;
        ++stats_.batches;
      }
      if (failures > 0) {
        spdlog::info("write queue: store recovered after {} failed attempts", failures);
      }
      if (options_.on_committed) options_.on_committed(chunk);
      Complete(chunk.size(), chunk.size(), 0, 0);
      return;
    }
    const bool transient = IsTransient(status);
    {
      std::lock_guard lock(mu_);
      ++stats_.write_errors;
      if (transient) ++consecutive_failures_;
      stats_.last_error = status.ToString();
      stats_.store_failing = transient;
    }
    if (transient) {
      spdlog::warn("write queue: store unavailable ({} rows held), retrying in {} ms: {}",
                   chunk.size(), backoff.count(), status.ToString());
      if (!WaitBackoff(backoff)) {
        Complete(chunk.size(), 0, 0, chunk.size());
        return;
      }
      backoff = std::min(backoff * 2, options_.retry_max_backoff);
      continue;
    }
    // A permanent error: isolate the offending rows.
    if (chunk.size() == 1) {
      uint64_t rejected_before = 0;
      {
        std::lock_guard lock(mu_);
        rejected_before = stats_.rejected;
      }
      // Log the first rejections and then every 1,000th (a broken database rejects every row).
      if (rejected_before < 10 || rejected_before % 1'000 == 0) {
        spdlog::error("write queue: store rejected a {} row, dropping it ({} rejected before): {}",
                      RowKindName(chunk.front()), rejected_before, status.ToString());
      }
      Complete(1, 0, 1, 0);
      return;
    }
    spdlog::warn("write queue: store rejected a batch of {} rows ({}); retrying row by row",
                 chunk.size(), status.ToString());
    for (size_t i = 0; i < chunk.size(); ++i) WriteChunk(chunk.subspan(i, 1));
    return;
  }
}

bool WriteQueue::WaitBackoff(std::chrono::milliseconds backoff) {
  std::unique_lock lock(mu_);
  const auto wake_at = SteadyClock::now() + backoff;
  while (true) {
    if (abandon_all_) return false;
    const auto now = SteadyClock::now();
    if (stop_ && now >= shutdown_deadline_) {
      abandon_all_ = true;
      return false;
    }
    if (now >= wake_at) return true;
    auto until = wake_at;
    if (stop_) until = std::min(until, shutdown_deadline_);
    writer_cv_.wait_until(lock, until);
  }
}

void WriteQueue::Complete(size_t rows, uint64_t written, uint64_t rejected, uint64_t abandoned) {
  uint64_t new_drops = 0;
  uint64_t total_drops = 0;
  {
    std::lock_guard lock(mu_);
    in_flight_ -= rows;
    completed_ += rows;
    stats_.written += written;
    stats_.rejected += rejected;
    stats_.abandoned += abandoned;
    total_drops = stats_.dropped;
    new_drops = total_drops - dropped_logged_;
    dropped_logged_ = total_drops;
  }
  done_cv_.notify_all();
  // Drops are counted on the producers' hot path; they are reported here, off it.
  if (new_drops > 0) {
    spdlog::warn("write queue: {} rows dropped because the queue was full ({} in total)", new_drops,
                 total_drops);
  }
}

}  // namespace kalshiflow::storage
