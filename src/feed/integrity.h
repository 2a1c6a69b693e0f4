// Integrity check of a recorded session against the recording it was collected from
// (`kalshiflow sessions verify SESSION --recording FILE`): the proof that what the collector
// stored rebuilds exactly the books the exchange published.
//
// Ground truth: the recording's server frames replayed through the decoder and a BookSet
// (the per-sid sequence rule), giving, for every market, the sequence of its book states
// (one after every applied snapshot or delta). Stored side: the session's snapshot and delta
// rows (Store::ReadSessionUpdates, receive order) applied to one fresh OrderBook per market.
// After every stored row the rebuilt book must equal a ground-truth state of that market at
// or after the previous match (the previous match itself included: a resync snapshot of a
// book that did not change repeats it; states are compared by every level of both ladders). A row
// whose book matches no later state is a mismatch. When the collector saw every frame in
// order each stored row matches the very next state (`in_step`); after a resync (a
// `get_snapshot` snapshot, a resubscribe) the rebuilt book jumps forward to the exchange's
// current state and must match there.
//
// Threading: a plain function; reads the store and the file on the calling thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/store.h"

namespace kalshiflow::feed {

struct VerifyReport {
  storage::SessionId session_id = 0;
  std::string recording;
  int64_t markets = 0;            // markets in the recording
  int64_t markets_stored = 0;     // markets with at least one stored row
  int64_t recording_updates = 0;  // snapshots + deltas applied from the recording
  int64_t stored_snapshots = 0;
  int64_t stored_deltas = 0;
  int64_t books_checked = 0;      // stored rows whose rebuilt book was compared
  int64_t in_step = 0;            // ... that matched the very next ground-truth state
  int64_t mismatches = 0;         // ... that matched no later ground-truth state
  int64_t final_books_equal = 0;  // markets whose last rebuilt book is the recording's last
  std::vector<std::string> first_mismatches;  // up to 10, human-readable
  bool ok() const { return mismatches == 0 && books_checked > 0; }
};

/// Compares session `id` of `store` with `recording_path`. Errors: NotFound (session),
/// DataLoss / InvalidArgument (recording, naming it), Unimplemented for a recording written
/// with use_yes_price=true.
core::Result<VerifyReport> VerifySession(storage::Store& store, storage::SessionId id,
                                         const std::string& recording_path);

/// A 64-bit digest of a book's levels (both ladders, price and size), equal for equal
/// ladders; used to compare book states.
uint64_t BookStateDigest(std::span<const core::PriceLevel> yes_bids,
                         std::span<const core::PriceLevel> no_bids);

}  // namespace kalshiflow::feed
