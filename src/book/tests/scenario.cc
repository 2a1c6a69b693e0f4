#include "book/tests/scenario.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <optional>
#include <sstream>

#include "book/book_set.h"
#include "book/order_book.h"
#include "book/price_grid.h"
#include "core/fixed_point.h"
#include "core/market.h"

namespace kalshiflow::book::testing {
namespace {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

// A scenario-level failure: thrown inside the runner only, caught per line.
struct LineError {
  std::string message;
};

[[noreturn]] void Fail(std::string message) { throw LineError{std::move(message)}; }

std::vector<std::string_view> Tokenize(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

int64_t ParseInt(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    Fail(fmt::format("bad integer for {}: '{}'", what, text));
  }
  return v;
}

Price ParsePrice(std::string_view text) {
  auto p = Price::Parse(text);
  if (!p.ok()) Fail(fmt::format("bad price '{}': {}", text, core::DecimalErrorName(p.error())));
  return *p;
}

Count ParseCount(std::string_view text) {
  auto c = Count::Parse(text);
  if (!c.ok()) Fail(fmt::format("bad size '{}': {}", text, core::DecimalErrorName(c.error())));
  return *c;
}

// "0.45x100" -> level.
PriceLevel ParseLevel(std::string_view text) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) Fail(fmt::format("level '{}' is not <price>x<size>", text));
  return PriceLevel{ParsePrice(text.substr(0, x)), ParseCount(text.substr(x + 1))};
}

OutcomeSide ParseSide(std::string_view text) {
  auto side = core::ParseOutcomeSide(text);
  if (!side) Fail(fmt::format("bad side '{}' (yes|no)", text));
  return *side;
}

std::string LevelsText(std::span<const PriceLevel> levels) {
  if (levels.empty()) return "empty";
  std::string out;
  for (const PriceLevel& l : levels) {
    if (!out.empty()) out += ' ';
    out += l.price.ToString() + "x" + l.count.ToString();
  }
  return out;
}

// key=value options of a message line; the remaining positional tokens in order.
struct Args {
  std::map<std::string, std::string, std::less<>> kv;
  std::vector<std::string_view> positional;

  int64_t Int(std::string_view key) const {
    auto it = kv.find(key);
    if (it == kv.end()) Fail(fmt::format("missing {}=", key));
    return ParseInt(it->second, key);
  }
  std::optional<int64_t> OptInt(std::string_view key) const {
    auto it = kv.find(key);
    if (it == kv.end()) return std::nullopt;
    return ParseInt(it->second, key);
  }
  std::optional<std::string_view> Opt(std::string_view key) const {
    auto it = kv.find(key);
    if (it == kv.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

Args SplitArgs(std::span<const std::string_view> tokens) {
  Args args;
  for (std::string_view t : tokens) {
    const auto eq = t.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      args.kv.emplace(std::string(t.substr(0, eq)), std::string(t.substr(eq + 1)));
    } else {
      args.positional.push_back(t);
    }
  }
  return args;
}

PriceGrid ParseGrid(const Args& args) {
  std::string_view name = args.Opt("grid").value_or("");
  std::vector<PriceRange> ranges;
  if (auto text = args.Opt("ranges")) {
    // start:end:step,start:end:step
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view one = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const auto c1 = one.find(':');
      const auto c2 = one.find(':', c1 == std::string_view::npos ? c1 : c1 + 1);
      if (c1 == std::string_view::npos || c2 == std::string_view::npos) {
        Fail(fmt::format("range '{}' is not start:end:step", one));
      }
      ranges.push_back(PriceRange{ParsePrice(one.substr(0, c1)),
                                  ParsePrice(one.substr(c1 + 1, c2 - c1 - 1)),
                                  ParsePrice(one.substr(c2 + 1))});
    }
  }
  if (name.empty() && ranges.empty()) return PriceGrid();
  auto grid = PriceGrid::FromStructure(name.empty() ? "custom" : name, ranges);
  if (!grid.ok()) Fail("bad grid: " + grid.error().ToString());
  return *std::move(grid);
}

class Runner {
 public:
  std::vector<std::string> Run(std::string_view text) {
    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const auto nl = text.find('\n', pos);
      std::string_view line =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
      ++line_no;
      if (const auto hash = line.find('#'); hash != std::string_view::npos) {
        line = line.substr(0, hash);
      }
      const auto tokens = Tokenize(line);
      if (tokens.empty()) continue;
      try {
        Line(line_no, tokens);
      } catch (const LineError& e) {
        failures_.push_back(fmt::format("line {}: {}", line_no, e.message));
      }
    }
    try {
      SettlePending();
    } catch (const LineError& e) {
      failures_.push_back(e.message);
    }
    return failures_;
  }

 private:
  // The outcome of the last message line, until checked.
  struct Last {
    int line = 0;
    std::string text;
    ApplyOutcome outcome;
    bool checked = false;
  };

  void SettlePending() {
    if (!last_ || last_->checked) return;
    if (!last_->outcome.applied) {
      Fail(
          fmt::format("line {}: '{}' was not applied (verdict {}, error {}); add expect-error, "
                      "expect-verdict or expect-not-applied",
                      last_->line, last_->text, SeqVerdictName(last_->outcome.verdict),
                      last_->outcome.error ? BookErrorName(*last_->outcome.error) : "none"));
    }
  }

  void StartMessage(int line_no, std::span<const std::string_view> tokens, ApplyOutcome outcome) {
    std::string text;
    for (std::string_view t : tokens) {
      if (!text.empty()) text += ' ';
      text += t;
    }
    last_ = Last{line_no, std::move(text), outcome, false};
  }

  const Last& RequireLast() {
    if (!last_) Fail("expect-* before any message");
    last_->checked = true;
    return *last_;
  }

  void Line(int line_no, std::span<const std::string_view> t) {
    const std::string_view cmd = t[0];
    const bool is_message = cmd == "snapshot" || cmd == "delta" || cmd == "seq";
    if (is_message) SettlePending();
    if (cmd == "options") {
      for (std::string_view o : t.subspan(1)) {
        if (o == "accept_any_first_seq") {
          options_.sequencer.accept_any_first_seq = true;
        } else if (o == "no_create") {
          options_.create_on_snapshot = false;
        } else {
          Fail(fmt::format("unknown option '{}'", o));
        }
      }
      if (used_) Fail("options must come before any other line");
      set_ = BookSet(options_);
      return;
    }
    used_ = true;
    if (cmd == "market") return Market(t);
    if (cmd == "bind") {
      const Args a = SplitArgs(t.subspan(1));
      if (a.positional.size() != 1) Fail("usage: bind <ticker> sid=<n>");
      auto st = set_.BindMarket(a.Int("sid"), a.positional[0]);
      if (!st.ok()) Fail("bind failed: " + st.ToString());
      return;
    }
    if (cmd == "drop") return set_.DropSid(SplitArgs(t.subspan(1)).Int("sid"));
    if (cmd == "mark_stale") return set_.MarkSidStale(SplitArgs(t.subspan(1)).Int("sid"));
    if (cmd == "reset") return set_.Reset();
    if (cmd == "snapshot") return StartMessage(line_no, t, Snapshot(t));
    if (cmd == "delta") return StartMessage(line_no, t, Delta(t));
    if (cmd == "seq") {
      const Args a = SplitArgs(t.subspan(1));
      ApplyOutcome o;
      o.verdict = set_.ObserveSeq(a.Int("sid"), a.Int("seq"));
      o.applied = o.verdict == SeqVerdict::kApply;
      return StartMessage(line_no, t, o);
    }
    if (cmd == "expect-applied") {
      const Last& l = RequireLast();
      if (!l.outcome.applied) Fail(fmt::format("'{}' was not applied", l.text));
      return;
    }
    if (cmd == "expect-not-applied") {
      const Last& l = RequireLast();
      if (l.outcome.applied) Fail(fmt::format("'{}' was applied", l.text));
      return;
    }
    if (cmd == "expect-error") {
      if (t.size() != 2) Fail("usage: expect-error <BookError>");
      const auto want = ParseBookError(t[1]);
      if (!want) Fail(fmt::format("unknown BookError '{}'", t[1]));
      const Last& l = RequireLast();
      if (l.outcome.error != want) {
        Fail(fmt::format("expected error {}, got {}", BookErrorName(*want),
                         l.outcome.error ? BookErrorName(*l.outcome.error) : "none"));
      }
      return;
    }
    if (cmd == "expect-verdict") {
      if (t.size() != 2) Fail("usage: expect-verdict <apply|duplicate|gap|invalid>");
      const Last& l = RequireLast();
      if (SeqVerdictName(l.outcome.verdict) != t[1]) {
        Fail(fmt::format("expected verdict {}, got {}", t[1], SeqVerdictName(l.outcome.verdict)));
      }
      return;
    }
    if (cmd == "expect-effect") {
      if (t.size() != 2) Fail("usage: expect-effect <inserted|changed|removed|clamped|noop>");
      const Last& l = RequireLast();
      const std::string_view got = l.outcome.effect ? DeltaEffectName(*l.outcome.effect) : "none";
      if (got != t[1]) Fail(fmt::format("expected effect {}, got {}", t[1], got));
      return;
    }
    if (cmd == "expect") return Expect(t.subspan(1));
    Fail(fmt::format("unknown command '{}'", cmd));
  }

  void Market(std::span<const std::string_view> t) {
    const Args a = SplitArgs(t.subspan(1));
    if (a.positional.size() != 1) Fail("usage: market <ticker> [grid=<name>] [ranges=s:e:step,..]");
    auto book = set_.AddMarket(a.positional[0], ParseGrid(a));
    if (!book.ok()) Fail("market failed: " + book.error().ToString());
  }

  ApplyOutcome Snapshot(std::span<const std::string_view> t) {
    // snapshot <T> sid= seq= [ts=] yes <lvl>... | no <lvl>...
    if (t.size() < 2) Fail("usage: snapshot <ticker> sid=<n> seq=<n> yes <p>x<s>... | no ...");
    std::vector<PriceLevel> yes;
    std::vector<PriceLevel> no;
    std::vector<PriceLevel>* into = nullptr;
    std::vector<std::string_view> header;
    for (std::string_view tok : t.subspan(2)) {
      if (tok == "yes") {
        into = &yes;
      } else if (tok == "no") {
        into = &no;
      } else if (tok == "|") {
        into = nullptr;
      } else if (into != nullptr) {
        into->push_back(ParseLevel(tok));
      } else {
        header.push_back(tok);
      }
    }
    const Args a = SplitArgs(header);
    if (!a.positional.empty()) Fail(fmt::format("unexpected '{}'", a.positional[0]));
    return set_.ApplySnapshot(a.Int("sid"), a.Int("seq"), t[1], yes, no, a.OptInt("ts"));
  }

  ApplyOutcome Delta(std::span<const std::string_view> t) {
    // delta <T> sid= seq= [ts=] <side> <price> <delta>
    if (t.size() < 2) Fail("usage: delta <ticker> sid=<n> seq=<n> <yes|no> <price> <delta>");
    const Args a = SplitArgs(t.subspan(2));
    if (a.positional.size() != 3)
      Fail("usage: delta <ticker> sid=<n> seq=<n> <yes|no> <price> <delta>");
    return set_.ApplyDelta(a.Int("sid"), a.Int("seq"), t[1], ParseSide(a.positional[0]),
                           ParsePrice(a.positional[1]), ParseCount(a.positional[2]),
                           a.OptInt("ts"));
  }

  void Expect(std::span<const std::string_view> t) {
    if (t.empty()) Fail("empty expect");
    if (t[0] == "counters") return ExpectCounters(t.subspan(1));
    if (t[0].starts_with("sid=")) return ExpectSid(t);
    if (t[0] == "no_book") {
      if (t.size() != 2) Fail("usage: expect no_book <ticker>");
      if (set_.Find(t[1]) != nullptr) Fail(fmt::format("{} has a book", t[1]));
      return;
    }
    if (t.size() < 2) Fail("usage: expect <ticker> <query> ...");
    const OrderBook* book = set_.Find(t[0]);
    if (book == nullptr) Fail(fmt::format("no book for {}", t[0]));
    ExpectBook(*book, t[1], t.subspan(2));
  }

  void ExpectCounters(std::span<const std::string_view> t) {
    const Args a = SplitArgs(t);
    const BookSetCounters& c = set_.counters();
    for (const auto& [key, value] : a.kv) {
      const int64_t want = ParseInt(value, key);
      std::optional<uint64_t> got;
      if (key == "snapshots_applied") got = c.snapshots_applied;
      if (key == "deltas_applied") got = c.deltas_applied;
      if (key == "duplicates_dropped") got = c.duplicates_dropped;
      if (key == "gaps") got = c.gaps;
      if (key == "gap_dropped_deltas") got = c.gap_dropped_deltas;
      if (key == "books_marked_stale") got = c.books_marked_stale;
      if (auto err = ParseBookError(key)) got = c.errors[static_cast<std::size_t>(*err)];
      if (!got) Fail(fmt::format("unknown counter '{}'", key));
      if (static_cast<int64_t>(*got) != want) {
        Fail(fmt::format("counter {}: expected {}, got {}", key, want, *got));
      }
    }
  }

  void ExpectSid(std::span<const std::string_view> t) {
    const int64_t sid = ParseInt(t[0].substr(4), "sid");
    if (t.size() < 2) Fail("usage: expect sid=<n> needs_snapshot|markets|last_seq ...");
    if (t[1] == "needs_snapshot" || t[1] == "markets") {
      auto got = t[1] == "markets" ? set_.MarketsOnSid(sid) : set_.MarketsNeedingSnapshot(sid);
      std::vector<std::string_view> want(t.begin() + 2, t.end());
      if (want.size() == 1 && want[0] == "none") want.clear();
      if (got != want) {
        Fail(fmt::format("sid {} {}: expected [{}], got [{}]", sid, t[1], fmt::join(want, " "),
                         fmt::join(got, " ")));
      }
      return;
    }
    if (t[1] == "last_seq") {
      if (t.size() != 3) Fail("usage: expect sid=<n> last_seq <n>|none");
      const auto got = set_.sequencer().last_seq(sid);
      const std::string got_text = got ? std::to_string(*got) : "none";
      if (got_text != t[2])
        Fail(fmt::format("sid {} last_seq: expected {}, got {}", sid, t[2], got_text));
      return;
    }
    Fail(fmt::format("unknown sid query '{}'", t[1]));
  }

  static void ExpectLevel(std::string_view what, std::optional<PriceLevel> got,
                          std::span<const std::string_view> args) {
    // <price> [size <s>] | none
    if (args.size() == 1 && args[0] == "none") {
      if (got)
        Fail(fmt::format("{}: expected none, got {}x{}", what, got->price.ToString(),
                         got->count.ToString()));
      return;
    }
    if (args.size() != 1 && !(args.size() == 3 && args[1] == "size")) {
      Fail(fmt::format("usage: {} <price> [size <s>] | none", what));
    }
    if (!got) Fail(fmt::format("{}: expected {}, got none", what, args[0]));
    const Price want = ParsePrice(args[0]);
    if (got->price != want) {
      Fail(fmt::format("{}: expected price {}, got {}", what, want.ToString(),
                       got->price.ToString()));
    }
    if (args.size() == 3 && got->count != ParseCount(args[2])) {
      Fail(fmt::format("{}: expected size {}, got {}", what, ParseCount(args[2]).ToString(),
                       got->count.ToString()));
    }
  }

  static void ExpectLadder(std::string_view what, const std::vector<PriceLevel>& got,
                           std::span<const std::string_view> args) {
    std::vector<PriceLevel> want;
    if (!(args.size() == 1 && args[0] == "empty")) {
      for (std::string_view a : args) want.push_back(ParseLevel(a));
    }
    if (got != want) {
      Fail(fmt::format("{}: expected [{}], got [{}]", what, LevelsText(want), LevelsText(got)));
    }
  }

  static void ExpectCount(std::string_view what, Count got, std::string_view want_text) {
    const Count want = ParseCount(want_text);
    if (got != want)
      Fail(fmt::format("{}: expected {}, got {}", what, want.ToString(), got.ToString()));
  }

  static void ExpectFlag(std::string_view what, bool got) {
    if (!got) Fail(fmt::format("expected {}", what));
  }

  void ExpectBook(const OrderBook& book, std::string_view q, std::span<const std::string_view> a) {
    const std::string what = fmt::format("{} {}", book.ticker(), q);
    // Leg-qualified queries: <leg>_<rest>.
    std::optional<OutcomeSide> leg;
    std::string_view rest = q;
    if (q.starts_with("best_")) rest = q.substr(5);
    if (rest.starts_with("yes_")) {
      leg = OutcomeSide::kYes;
      rest = rest.substr(4);
    } else if (rest.starts_with("no_")) {
      leg = OutcomeSide::kNo;
      rest = rest.substr(3);
    }
    const bool best = q.starts_with("best_");
    const auto need = [&](std::size_t n) {
      if (a.size() != n) Fail(fmt::format("{}: expected {} argument(s)", what, n));
    };
    if (leg && best && rest == "bid") return ExpectLevel(what, book.BestBid(*leg), a);
    if (leg && best && rest == "ask") return ExpectLevel(what, book.BestAsk(*leg), a);
    if (leg && rest == "bids") return ExpectLadder(what, book.TopBids(*leg, SIZE_MAX), a);
    if (leg && rest == "asks") return ExpectLadder(what, book.TopAsks(*leg, SIZE_MAX), a);
    if (leg && rest == "bid_at") {
      need(2);
      return ExpectCount(what, book.BidSizeAt(*leg, ParsePrice(a[0])), a[1]);
    }
    if (leg && rest == "ask_at") {
      need(2);
      return ExpectCount(what, book.AskSizeAt(*leg, ParsePrice(a[0])), a[1]);
    }
    if (leg && rest == "bid_depth_to") {
      need(2);
      return ExpectCount(what, book.BidDepthTo(*leg, ParsePrice(a[0])), a[1]);
    }
    if (leg && rest == "ask_depth_to") {
      need(2);
      return ExpectCount(what, book.AskDepthTo(*leg, ParsePrice(a[0])), a[1]);
    }
    if (leg && rest == "spread") {
      need(1);
      const auto got = book.Spread(*leg);
      const std::string got_text = got ? got->ToString() : "none";
      const std::string want_text = a[0] == "none" ? "none" : ParsePrice(a[0]).ToString();
      if (got_text != want_text)
        Fail(fmt::format("{}: expected {}, got {}", what, want_text, got_text));
      return;
    }
    if (leg && rest == "mid") {
      need(1);
      const auto got = book.Mid(*leg);
      if (a[0] == "none") {
        if (got) Fail(fmt::format("{}: expected none", what));
        return;
      }
      // Compare at 5 dp: mid = twice_units / 2 Price units = twice_units * 5 at 1e-5 dollar.
      auto want5 = core::ParseDecimal(a[0], 5);
      if (!want5.ok()) Fail(fmt::format("bad mid '{}'", a[0]));
      if (!got) Fail(fmt::format("{}: expected {}, got none", what, a[0]));
      if (got->twice_units * 5 != *want5) {
        Fail(fmt::format("{}: expected {}, got {} (x2 units)", what, a[0], got->twice_units));
      }
      return;
    }
    if (leg && rest == "level_count") {
      need(1);
      const auto got = static_cast<int64_t>(book.BidLevelCount(*leg));
      if (got != ParseInt(a[0], what))
        Fail(fmt::format("{}: expected {}, got {}", what, a[0], got));
      return;
    }
    if (q == "crossed") return ExpectFlag(what, book.IsCrossed());
    if (q == "not_crossed") return ExpectFlag(what, !book.IsCrossed());
    if (q == "locked") return ExpectFlag(what, book.IsLocked());
    if (q == "stale") return ExpectFlag(what, book.stale());
    if (q == "live") return ExpectFlag(what, book.live());
    if (q == "no_snapshot") return ExpectFlag(what, !book.has_snapshot());
    if (q == "last_seq" || q == "last_ts" || q == "clamped" || q == "updates") {
      need(1);
      int64_t got = 0;
      if (q == "last_seq") got = book.last_seq();
      if (q == "last_ts") got = book.last_exchange_ts_ms().value_or(-1);
      if (q == "clamped") got = static_cast<int64_t>(book.counters().clamped);
      if (q == "updates") got = static_cast<int64_t>(book.update_count());
      if (got != ParseInt(a[0], what))
        Fail(fmt::format("{}: expected {}, got {}", what, a[0], got));
      return;
    }
    Fail(fmt::format("unknown query '{}'", q));
  }

  BookSetOptions options_;
  BookSet set_{options_};
  bool used_ = false;
  std::optional<Last> last_;
  std::vector<std::string> failures_;
};

}  // namespace

std::vector<std::string> RunScenario(std::string_view text) { return Runner().Run(text); }

}  // namespace kalshiflow::book::testing
