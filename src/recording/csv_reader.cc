#include "recording/csv_reader.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "core/market.h"

namespace kalshiflow::recording {
namespace {

constexpr std::size_t kMaxCsvLine = 4096;

// Plain non-negative decimal integer, at most 3 digits (values are cents).
bool ParseCents(std::string_view text, int* out) {
  if (text.empty() || text.size() > 3) return false;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string Printable(std::string_view text, std::size_t max = 40) {
  std::string out;
  for (char c : text.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace

std::string MalformedLine::ToString() const { return fmt::format("{}:{}: {}", file, line, reason); }

core::Result<std::unique_ptr<TopOfBookCsvReader>> TopOfBookCsvReader::Open(const std::string& path,
                                                                           CsvOptions options) {
  if (options.tz_offset_minutes < -24 * 60 || options.tz_offset_minutes > 24 * 60) {
    return core::InvalidArgumentError(
        fmt::format("tz offset {} minutes outside [-1440, 1440]", options.tz_offset_minutes));
  }
  std::unique_ptr<TopOfBookCsvReader> r(new TopOfBookCsvReader());
  r->path_ = path;
  r->options_ = std::move(options);
  KF_ASSIGN_OR_RETURN(auto source, ByteSource::Open(path));
  r->lines_ = std::make_unique<LineReader>(std::move(source), kMaxCsvLine);
  KF_ASSIGN_OR_RETURN(LineReader::LineStatus st, r->lines_->Next(&r->line_));
  if (st == LineReader::LineStatus::kEnd) {
    return core::InvalidArgumentError(fmt::format("{}:1: empty file (no header line)", path));
  }
  std::string_view header = r->line_;
  if (header.starts_with("\xEF\xBB\xBF")) header.remove_prefix(3);  // UTF-8 BOM
  if (st != LineReader::LineStatus::kLine || header != kTopOfBookCsvHeader) {
    return core::InvalidArgumentError(
        fmt::format("{}:1: not a top-of-book market log: header is \"{}\", expected \"{}\"", path,
                    Printable(header, 120), kTopOfBookCsvHeader));
  }
  return r;
}

void TopOfBookCsvReader::Report(std::string reason) {
  ++malformed_;
  if (options_.on_malformed) {
    options_.on_malformed(MalformedLine{path_, lines_->line_number(), std::move(reason)});
  }
}

std::string TopOfBookCsvReader::Parse(TopOfBookRow* row) {
  std::string_view line = line_;
  if (line.empty()) return "empty line";
  std::array<std::string_view, 6> f;
  std::size_t n = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::string_view field = line.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (n < f.size()) f[n] = field;
    ++n;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (n != 6) return fmt::format("expected 6 comma-separated fields, got {}", n);
  auto ts = core::Timestamp::ParseIso8601(f[0], options_.tz_offset_minutes);
  if (!ts.ok()) return fmt::format("bad timestamp \"{}\"", Printable(f[0]));
  if (core::Status s = core::ValidateTicker(f[1]); !s.ok()) {
    return fmt::format("bad market_ticker \"{}\": {}", Printable(f[1]), s.message());
  }
  static constexpr std::array<std::string_view, 4> kNames = {"best_yes_bid", "best_no_bid",
                                                             "implied_no_ask", "implied_yes_ask"};
  int v[4];
  for (int i = 0; i < 4; ++i) {
    if (!ParseCents(f[2 + i], &v[i])) {
      return fmt::format("{} \"{}\" is not an integer number of cents", kNames[i],
                         Printable(f[2 + i]));
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (v[i] > 99) {
      return fmt::format("{} {} outside [0, 99] cents (a bid of 100 cannot rest)", kNames[i], v[i]);
    }
  }
  if (v[2] != 100 - v[0]) {
    return fmt::format("implied_no_ask {} != 100 - best_yes_bid ({})", v[2], 100 - v[0]);
  }
  if (v[3] != 100 - v[1]) {
    return fmt::format("implied_yes_ask {} != 100 - best_no_bid ({})", v[3], 100 - v[1]);
  }
  if (last_ts_ && *ts < *last_ts_) {
    return fmt::format("timestamp {} is earlier than the previous row's ({})", Printable(f[0]),
                       last_ts_->ToIso8601());
  }
  row->ts = *ts;
  row->ticker.assign(f[1]);
  row->yes_bid_cents = v[0];
  row->no_bid_cents = v[1];
  row->line = lines_->line_number();
  return {};
}

core::Result<bool> TopOfBookCsvReader::Next(TopOfBookRow* row) {
  while (true) {
    KF_ASSIGN_OR_RETURN(LineReader::LineStatus st, lines_->Next(&line_));
    if (st == LineReader::LineStatus::kEnd) return false;
    ++data_lines_;
    if (st == LineReader::LineStatus::kTooLong) {
      Report(fmt::format("line longer than {} bytes", kMaxCsvLine));
      continue;
    }
    std::string reason = Parse(row);
    if (!reason.empty()) {
      Report(std::move(reason));
      continue;
    }
    last_ts_ = row->ts;
    ++rows_ok_;
    return true;
  }
}

}  // namespace kalshiflow::recording
