// Per-subscription sequence checking.
//
// Source: PROTOCOL.md §3.5 ("for each sid keep last_seq ... seq == last_seq + 1: apply;
// seq <= last_seq: duplicate, drop; seq > last_seq + 1: gap"), DESIGN.md §3 "Sequence".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kalshiflow::book {

/// What to do with a message carrying (sid, seq).
enum class SeqVerdict : uint8_t {
  kApply,      // seq == last + 1 (or an accepted first seq): apply it
  kDuplicate,  // seq <= last: already seen; drop it
  kGap,        // seq > last + 1: messages were lost; every book of the sid is suspect
  kInvalid,    // seq < 1 (Kalshi: `minimum: 1`); state unchanged
};
/// "apply", "duplicate", "gap", "invalid".
std::string_view SeqVerdictName(SeqVerdict verdict);

/// Totals over all sids (monotonic).
struct SequencerCounters {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t gaps = 0;
  uint64_t invalid = 0;
  uint64_t missing = 0;  // sum over gaps of the number of skipped seq values
};

/// Tracks `last_seq` per subscription id (`sid`). Kalshi's seq is one counter per sid shared
/// by all markets of that subscription; a new subscription gets a new sid whose seq starts at
/// 1, and sids restart after a reconnect (call Reset()).
///
/// Rules (Check):
///  * known sid: seq == last + 1 -> kApply; seq <= last -> kDuplicate; seq > last + 1 -> kGap.
///  * first message of a sid: seq == 1 -> kApply. Any other seq -> kGap (messages 1..seq-1,
///    the first snapshots, were missed) unless Options::accept_any_first_seq is set, in which
///    case it is kApply (use that when joining a recorded stream midway).
///  * seq < 1 -> kInvalid.
///  * last_seq advances on kApply **and on kGap** (re-anchors at the gap message), so the
///    stream continues after a gap; the caller marks the sid's books stale and snapshots
///    (which arrive on the same sid, continuing its seq) bring them back.
///
/// Storage is a small flat vector (a connection has a handful of sids), so Check does not
/// allocate except the first time a sid is seen. Thread-compatible.
class Sequencer {
 public:
  struct Options {
    /// Treat any first seq on a new sid as the start (kApply) instead of a gap.
    bool accept_any_first_seq = false;
  };

  Sequencer() = default;
  explicit Sequencer(Options options) : options_(options) {}

  /// Classifies (sid, seq) and updates the sid's last_seq (see class comment).
  SeqVerdict Check(int64_t sid, int64_t seq);

  /// Last accepted seq of `sid` (nullopt if the sid was never seen or was forgotten).
  std::optional<int64_t> last_seq(int64_t sid) const;
  /// Forgets `sid` (unsubscribed); its next message counts as a first message.
  void Forget(int64_t sid);
  /// Forgets every sid (new connection: Kalshi restarts sid numbering).
  void Reset() { sids_.clear(); }
  /// Number of sids tracked.
  std::size_t sid_count() const { return sids_.size(); }

  const SequencerCounters& counters() const { return counters_; }
  const Options& options() const { return options_; }

 private:
  struct SidState {
    int64_t sid;
    int64_t last_seq;
  };
  SidState* Lookup(int64_t sid);

  Options options_;
  std::vector<SidState> sids_;
  std::size_t last_hit_ = 0;  // index of the last sid looked up (most streams use one sid)
  SequencerCounters counters_;
};

}  // namespace kalshiflow::book
