#include "feed/integrity.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <variant>

#include "book/book_set.h"
#include "book/order_book.h"
#include "kalshi/decoder.h"
#include "recording/format.h"

namespace kalshiflow::feed {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  // splitmix64 finaliser over (h ^ v): cheap, well distributed.
  uint64_t z = h ^ (v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t DigestBook(const book::OrderBook& b) {
  return BookStateDigest(b.Bids(core::OutcomeSide::kYes), b.Bids(core::OutcomeSide::kNo));
}

// Ground-truth states of one market: digest sequence plus an index digest → positions.
struct Truth {
  std::vector<uint64_t> states;
  std::unordered_map<uint64_t, std::vector<int64_t>> positions;
};

struct Rebuilt {
  book::OrderBook book;
  int64_t next = 0;  // first ground-truth position a later row may match
  bool any = false;
};

}  // namespace

uint64_t BookStateDigest(std::span<const core::PriceLevel> yes_bids,
                         std::span<const core::PriceLevel> no_bids) {
  uint64_t h = Mix(0, yes_bids.size());
  for (const auto& l : yes_bids)
    h = Mix(Mix(h, static_cast<uint64_t>(l.price.units())), static_cast<uint64_t>(l.count.units()));
  h = Mix(h, 0xABCDEFULL + no_bids.size());
  for (const auto& l : no_bids)
    h = Mix(Mix(h, static_cast<uint64_t>(l.price.units())), static_cast<uint64_t>(l.count.units()));
  return h;
}

core::Result<VerifyReport> VerifySession(storage::Store& store, storage::SessionId id,
                                         const std::string& recording_path) {
  VerifyReport report;
  report.session_id = id;
  report.recording = recording_path;
  KF_ASSIGN_OR_RETURN(storage::SessionInfo session, store.GetSession(id));
  (void)session;

  // 1. Ground truth from the recording.
  KF_ASSIGN_OR_RETURN(auto reader, recording::RecordingReader::Open(recording_path));
  if (reader->header().use_yes_price) {
    return core::Status(core::StatusCode::kUnimplemented,
                        recording_path +
                            ": recordings with use_yes_price=true are not supported "
                            "by sessions verify yet");
  }
  std::map<std::string, Truth, std::less<>> truth;
  {
    kalshi::Decoder decoder;
    book::BookSet books;
    recording::Record record;
    while (true) {
      KF_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
      if (!more) break;
      if (record.direction != recording::Direction::kServerToClient) continue;
      auto message = decoder.Decode(record.frame);
      if (!message.ok()) continue;  // a recording may hold bad frames; they change no book
      const kalshi::Message& m = **message;
      book::ApplyOutcome outcome;
      std::string_view ticker;
      if (m.type == kalshi::MessageType::kOrderbookSnapshot && m.seq) {
        ticker = m.snapshot.market_ticker;
        outcome =
            books.ApplySnapshot(m.sid, *m.seq, ticker, m.snapshot.yes_bids, m.snapshot.no_bids);
      } else if (m.type == kalshi::MessageType::kOrderbookDelta && m.seq) {
        ticker = m.delta.market_ticker;
        outcome = books.ApplyDelta(m.sid, *m.seq, ticker, m.delta.side, m.delta.price,
                                   m.delta.delta, m.delta.ts_ms);
      } else {
        continue;
      }
      if (!outcome.applied || outcome.book == nullptr) continue;
      ++report.recording_updates;
      auto it = truth.find(ticker);
      if (it == truth.end()) it = truth.emplace(std::string(ticker), Truth{}).first;
      const uint64_t digest = DigestBook(*outcome.book);
      it->second.positions[digest].push_back(static_cast<int64_t>(it->second.states.size()));
      it->second.states.push_back(digest);
    }
  }
  report.markets = static_cast<int64_t>(truth.size());

  // 2. Rebuild from the stored rows and match.
  std::map<std::string, Rebuilt, std::less<>> rebuilt;
  auto note = [&](std::string text) {
    if (report.first_mismatches.size() < 10) report.first_mismatches.push_back(std::move(text));
  };
  auto status = store.ReadSessionUpdates(id, {}, [&](storage::ReplayUpdate update) {
    const bool is_snapshot = std::holds_alternative<storage::SnapshotRow>(update);
    const std::string& ticker = is_snapshot ? std::get<storage::SnapshotRow>(update).market_ticker
                                            : std::get<storage::DeltaRow>(update).market_ticker;
    const int64_t sid = is_snapshot ? std::get<storage::SnapshotRow>(update).sid
                                    : std::get<storage::DeltaRow>(update).sid;
    const int64_t seq = is_snapshot ? std::get<storage::SnapshotRow>(update).seq
                                    : std::get<storage::DeltaRow>(update).seq;
    auto rit = rebuilt.find(ticker);
    if (rit == rebuilt.end()) {
      rit = rebuilt.emplace(ticker, Rebuilt{book::OrderBook(ticker), 0, false}).first;
    }
    Rebuilt& r = rit->second;
    r.any = true;
    if (is_snapshot) {
      ++report.stored_snapshots;
      const auto& s = std::get<storage::SnapshotRow>(update);
      if (auto error = r.book.ApplySnapshot(s.yes_bids, s.no_bids)) {
        ++report.books_checked;
        ++report.mismatches;
        note(fmt::format("{} sid {} seq {}: stored snapshot refused: {}", ticker, sid, seq,
                         book::BookErrorName(*error)));
        return core::Status::Ok();
      }
    } else {
      ++report.stored_deltas;
      const auto& d = std::get<storage::DeltaRow>(update);
      auto applied = r.book.ApplyDelta(d.side, d.price, d.delta);
      if (!applied.ok()) {
        ++report.books_checked;
        ++report.mismatches;
        note(fmt::format("{} sid {} seq {}: stored delta refused: {}", ticker, sid, seq,
                         book::BookErrorName(applied.error())));
        return core::Status::Ok();
      }
    }
    ++report.books_checked;
    auto tit = truth.find(ticker);
    if (tit == truth.end()) {
      ++report.mismatches;
      note(fmt::format("{} sid {} seq {}: market not in the recording", ticker, sid, seq));
      return core::Status::Ok();
    }
    const uint64_t digest = DigestBook(r.book);
    const auto& states = tit->second.states;
    if (r.next < static_cast<int64_t>(states.size()) && states[r.next] == digest) {
      ++report.in_step;  // the very next recorded state
      ++r.next;
      return core::Status::Ok();
    }
    auto pit = tit->second.positions.find(digest);
    if (pit != tit->second.positions.end()) {
      // A later state (after frames the collector did not store), or the last matched state
      // itself repeated (a resync snapshot of a book that did not change since).
      const auto& positions = pit->second;
      auto first =
          std::lower_bound(positions.begin(), positions.end(), std::max<int64_t>(0, r.next - 1));
      if (first != positions.end()) {
        r.next = std::max(r.next, *first + 1);
        return core::Status::Ok();
      }
    }
    ++report.mismatches;
    note(fmt::format(
        "{} sid {} seq {}: rebuilt book (yes {} levels, no {} levels) equals no "
        "recorded state at or after update {} of {}",
        ticker, sid, seq, r.book.BidLevelCount(core::OutcomeSide::kYes),
        r.book.BidLevelCount(core::OutcomeSide::kNo), r.next, tit->second.states.size()));
    return core::Status::Ok();
  });
  KF_RETURN_IF_ERROR(status);
  for (const auto& [ticker, r] : rebuilt) {
    if (!r.any) continue;
    ++report.markets_stored;
    auto tit = truth.find(ticker);
    if (tit != truth.end() && !tit->second.states.empty() &&
        DigestBook(r.book) == tit->second.states.back()) {
      ++report.final_books_equal;
    }
  }
  return report;
}

}  // namespace kalshiflow::feed
