#include "book/sequencer.h"

namespace kalshiflow::book {

std::string_view SeqVerdictName(SeqVerdict verdict) {
  switch (verdict) {
    case SeqVerdict::kApply:
      return "apply";
    case SeqVerdict::kDuplicate:
      return "duplicate";
    case SeqVerdict::kGap:
      return "gap";
    case SeqVerdict::kInvalid:
      return "invalid";
  }
  return "unknown";
}

Sequencer::SidState* Sequencer::Lookup(int64_t sid) {
  if (last_hit_ < sids_.size() && sids_[last_hit_].sid == sid) return &sids_[last_hit_];
  for (std::size_t i = 0; i < sids_.size(); ++i) {
    if (sids_[i].sid == sid) {
      last_hit_ = i;
      return &sids_[i];
    }
  }
  return nullptr;
}

SeqVerdict Sequencer::Check(int64_t sid, int64_t seq) {
  if (seq < 1) [[unlikely]] {
    ++counters_.invalid;
    return SeqVerdict::kInvalid;
  }
  SidState* state = Lookup(sid);
  if (state == nullptr) [[unlikely]] {
    sids_.push_back(SidState{sid, seq});
    last_hit_ = sids_.size() - 1;
    if (seq == 1 || options_.accept_any_first_seq) {
      ++counters_.applied;
      return SeqVerdict::kApply;
    }
    ++counters_.gaps;
    counters_.missing += static_cast<uint64_t>(seq - 1);
    return SeqVerdict::kGap;
  }
  if (seq - 1 == state->last_seq) [[likely]] {  // seq >= 1: no overflow
    state->last_seq = seq;
    ++counters_.applied;
    return SeqVerdict::kApply;
  }
  if (seq <= state->last_seq) {
    ++counters_.duplicates;
    return SeqVerdict::kDuplicate;
  }
  counters_.missing += static_cast<uint64_t>(seq - state->last_seq - 1);
  state->last_seq = seq;
  ++counters_.gaps;
  return SeqVerdict::kGap;
}

std::optional<int64_t> Sequencer::last_seq(int64_t sid) const {
  for (const SidState& s : sids_) {
    if (s.sid == sid) return s.last_seq;
  }
  return std::nullopt;
}

void Sequencer::Forget(int64_t sid) {
  for (std::size_t i = 0; i < sids_.size(); ++i) {
    if (sids_[i].sid == sid) {
      sids_.erase(sids_.begin() + static_cast<std::ptrdiff_t>(i));
      last_hit_ = 0;
      return;
    }
  }
}

}  // namespace kalshiflow::book
