#include "book/book_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace kalshiflow::book {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

BookSet::BookSet(BookSetOptions options) : options_(options), sequencer_(options.sequencer) {}

// ---- markets ------------------------------------------------------------------------------

BookSet::Market* BookSet::FindMarket(std::string_view ticker) {
  auto it = index_.find(ticker);
  return it == index_.end() ? nullptr : &markets_[it->second];
}

const BookSet::Market* BookSet::FindMarket(std::string_view ticker) const {
  auto it = index_.find(ticker);
  return it == index_.end() ? nullptr : &markets_[it->second];
}

core::Result<uint32_t> BookSet::CreateMarket(std::string_view ticker, PriceGrid grid) {
  KF_RETURN_IF_ERROR(core::ValidateTicker(ticker));
  KF_CHECK(markets_.size() < std::numeric_limits<uint32_t>::max(), "too many markets");
  const auto index = static_cast<uint32_t>(markets_.size());
  markets_.push_back(Market{std::make_unique<OrderBook>(ticker, std::move(grid))});
  index_.emplace(std::string(ticker), index);
  return index;
}

core::Result<OrderBook*> BookSet::AddMarket(std::string_view ticker, PriceGrid grid) {
  if (Market* m = FindMarket(ticker)) {
    m->book->SetPriceGrid(std::move(grid));
    return m->book.get();
  }
  KF_ASSIGN_OR_RETURN(const uint32_t index, CreateMarket(ticker, std::move(grid)));
  return markets_[index].book.get();
}

OrderBook* BookSet::Find(std::string_view ticker) {
  Market* m = FindMarket(ticker);
  return m == nullptr ? nullptr : m->book.get();
}

const OrderBook* BookSet::Find(std::string_view ticker) const {
  const Market* m = FindMarket(ticker);
  return m == nullptr ? nullptr : m->book.get();
}

void BookSet::ForEachBook(const std::function<void(const OrderBook&)>& fn) const {
  for (const Market& m : markets_) fn(*m.book);
}

// ---- sids ---------------------------------------------------------------------------------

BookSet::SidMarkets* BookSet::FindSid(int64_t sid) {
  for (SidMarkets& s : sids_) {
    if (s.sid == sid) return &s;
  }
  return nullptr;
}

const BookSet::SidMarkets* BookSet::FindSid(int64_t sid) const {
  for (const SidMarkets& s : sids_) {
    if (s.sid == sid) return &s;
  }
  return nullptr;
}

void BookSet::Unbind(uint32_t index) {
  Market& m = markets_[index];
  if (m.sid == kNoSid) return;
  if (SidMarkets* s = FindSid(m.sid)) {
    auto it = std::find(s->markets.begin(), s->markets.end(), index);
    if (it != s->markets.end()) s->markets.erase(it);
  }
  m.sid = kNoSid;
  m.snapshot_on_sid = false;
}

void BookSet::Bind(uint32_t index, int64_t sid) {
  Market& m = markets_[index];
  if (m.sid == sid) return;
  const bool had_sid = m.sid != kNoSid;
  Unbind(index);
  if (had_sid) MarkStale(m);  // its old subscription no longer updates it
  SidMarkets* s = FindSid(sid);
  if (s == nullptr) {
    sids_.push_back(SidMarkets{sid, {}});
    s = &sids_.back();
  }
  s->markets.push_back(index);
  m.sid = sid;
  m.snapshot_on_sid = false;
}

core::Status BookSet::BindMarket(int64_t sid, std::string_view ticker) {
  Market* m = FindMarket(ticker);
  uint32_t index;
  if (m == nullptr) {
    KF_ASSIGN_OR_RETURN(index, CreateMarket(ticker, PriceGrid()));
  } else {
    index = static_cast<uint32_t>(m - markets_.data());
  }
  Bind(index, sid);
  return core::Status::Ok();
}

int64_t BookSet::SidOf(std::string_view ticker) const {
  const Market* m = FindMarket(ticker);
  return m == nullptr ? kNoSid : m->sid;
}

void BookSet::MarkStale(Market& market) {
  if (market.book->live()) ++counters_.books_marked_stale;
  market.book->MarkStale();
}

void BookSet::OnGap(int64_t sid) {
  ++counters_.gaps;
  MarkSidStale(sid);
}

void BookSet::MarkSidStale(int64_t sid) {
  if (SidMarkets* s = FindSid(sid)) {
    for (uint32_t index : s->markets) MarkStale(markets_[index]);
  }
}

void BookSet::DropSid(int64_t sid) {
  sequencer_.Forget(sid);
  SidMarkets* s = FindSid(sid);
  if (s == nullptr) return;
  for (uint32_t index : s->markets) {
    Market& m = markets_[index];
    MarkStale(m);
    m.sid = kNoSid;
    m.snapshot_on_sid = false;
  }
  sids_.erase(sids_.begin() + (s - sids_.data()));
}

void BookSet::Reset() {
  sequencer_.Reset();
  sids_.clear();
  for (Market& m : markets_) {
    MarkStale(m);
    m.sid = kNoSid;
    m.snapshot_on_sid = false;
  }
}

std::vector<std::string_view> BookSet::MarketsOnSid(int64_t sid) const {
  std::vector<std::string_view> out;
  if (const SidMarkets* s = FindSid(sid)) {
    for (uint32_t index : s->markets) out.push_back(markets_[index].book->ticker());
  }
  return out;
}

std::vector<std::string_view> BookSet::MarketsNeedingSnapshot(int64_t sid) const {
  std::vector<std::string_view> out;
  if (const SidMarkets* s = FindSid(sid)) {
    for (uint32_t index : s->markets) {
      const Market& m = markets_[index];
      if (!m.snapshot_on_sid || !m.book->live()) out.push_back(m.book->ticker());
    }
  }
  return out;
}

std::vector<int64_t> BookSet::SidsNeedingSnapshot() const {
  std::vector<int64_t> out;
  for (const SidMarkets& s : sids_) {
    if (!MarketsNeedingSnapshot(s.sid).empty()) out.push_back(s.sid);
  }
  return out;
}

// ---- messages -----------------------------------------------------------------------------

ApplyOutcome BookSet::Fail(ApplyOutcome outcome, BookError error) {
  ++counters_.errors[static_cast<std::size_t>(error)];
  outcome.error = error;
  outcome.applied = false;
  return outcome;
}

SeqVerdict BookSet::ObserveSeq(int64_t sid, int64_t seq) {
  const SeqVerdict verdict = sequencer_.Check(sid, seq);
  if (verdict == SeqVerdict::kGap) OnGap(sid);
  return verdict;
}

ApplyOutcome BookSet::ApplySnapshot(int64_t sid, int64_t seq, std::string_view ticker,
                                    std::span<const PriceLevel> yes_bids,
                                    std::span<const PriceLevel> no_bids,
                                    std::optional<int64_t> ts_ms) {
  ApplyOutcome outcome;
  outcome.verdict = sequencer_.Check(sid, seq);
  Market* m = FindMarket(ticker);
  if (m != nullptr) outcome.book = m->book.get();
  switch (outcome.verdict) {
    case SeqVerdict::kInvalid:
      return Fail(outcome, BookError::kInvalidSeq);
    case SeqVerdict::kDuplicate:
      ++counters_.duplicates_dropped;
      return outcome;
    case SeqVerdict::kGap:
      OnGap(sid);  // then apply this snapshot: it re-anchors its own book
      break;
    case SeqVerdict::kApply:
      break;
  }
  if (m == nullptr) {
    if (!options_.create_on_snapshot) return Fail(outcome, BookError::kUnknownMarket);
    auto created = CreateMarket(ticker, PriceGrid());
    if (!created.ok()) return Fail(outcome, BookError::kInvalidTicker);
    m = &markets_[*created];
    outcome.book = m->book.get();
  }
  const auto index = static_cast<uint32_t>(m - markets_.data());
  Bind(index, sid);
  if (auto err = m->book->ApplySnapshot(yes_bids, no_bids, UpdateInfo{seq, ts_ms})) {
    MarkStale(*m);
    return Fail(outcome, *err);
  }
  m->snapshot_on_sid = true;
  ++counters_.snapshots_applied;
  outcome.applied = true;
  return outcome;
}

ApplyOutcome BookSet::ApplyDelta(int64_t sid, int64_t seq, std::string_view ticker,
                                 OutcomeSide side, Price price, Count delta,
                                 std::optional<int64_t> ts_ms) {
  ApplyOutcome outcome;
  outcome.verdict = sequencer_.Check(sid, seq);
  Market* m = FindMarket(ticker);
  if (m != nullptr) outcome.book = m->book.get();
  switch (outcome.verdict) {
    case SeqVerdict::kApply:
      break;
    case SeqVerdict::kInvalid:
      return Fail(outcome, BookError::kInvalidSeq);
    case SeqVerdict::kDuplicate:
      ++counters_.duplicates_dropped;
      return outcome;
    case SeqVerdict::kGap:
      OnGap(sid);
      ++counters_.gap_dropped_deltas;
      return outcome;
  }
  if (m == nullptr) {
    return Fail(outcome,
                options_.create_on_snapshot ? BookError::kNoSnapshot : BookError::kUnknownMarket);
  }
  if (m->sid != sid || !m->snapshot_on_sid) {
    const bool live_elsewhere = m->sid != sid && m->snapshot_on_sid && m->book->has_snapshot();
    return Fail(outcome, live_elsewhere ? BookError::kWrongSid : BookError::kNoSnapshot);
  }
  auto effect = m->book->ApplyDelta(side, price, delta, UpdateInfo{seq, ts_ms});
  if (!effect.ok()) return Fail(outcome, effect.error());
  outcome.effect = *effect;
  outcome.applied = true;
  ++counters_.deltas_applied;
  return outcome;
}

}  // namespace kalshiflow::book
