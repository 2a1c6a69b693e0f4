// ExchangeServer over real loopback sockets. The client side is a small Beast client driven on
// the test thread (its own io_context; reads run continuously into an inbox so max-speed
// replays are never blocked by the test). No timed assertions: deadlines only guard hangs.
#include "exchange/exchange_server.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "book/book_set.h"
#include "book/order_book.h"
#include "core/time.h"
#include "kalshi/auth/signer.h"
#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"
#include "recording/convert.h"
#include "recording/format.h"

namespace kalshiflow::exchange {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

constexpr auto kGuard = std::chrono::seconds(60);  // hang guard, never an assertion on speed

// ---------------------------------------------------------------------------------------------
// Fixtures: temp files, keys, recordings

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kf-exch-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string GeneratePrivateKeyPem(bool rsa) {
  EVP_PKEY* key = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  EXPECT_NE(key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

struct TestKey {
  std::string id;
  std::unique_ptr<kalshi::auth::Signer> signer;
  ApiKey api_key() const { return ApiKey{id, signer->PublicKeyPem().value()}; }
};

TestKey MakeKey(const std::string& id, bool rsa) {
  auto signer = kalshi::auth::Signer::FromPem(GeneratePrivateKeyPem(rsa));
  EXPECT_TRUE(signer.ok());
  return TestKey{id, std::make_unique<kalshi::auth::Signer>(std::move(*signer))};
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Sign(const TestKey& key, std::string_view method, std::string_view path,
             const core::Clock& clock = core::RealClock::Instance()) {
  auto h = kalshi::auth::MakeAuthHeaders(key.id, *key.signer, clock, method, path);
  EXPECT_TRUE(h.ok());
  Headers out;
  for (auto [name, value] : h->List()) out.emplace_back(name, value);
  return out;
}

// Synthetic recording: three markets (one appears late), deltas, a recorded re-snapshot and a
// trade. `use_yes_price` writes NO levels in YES-leg prices (and sets the header flag).
constexpr std::string_view kA = "KXTEST-26JAN01-A";
constexpr std::string_view kB = "KXTEST-26JAN01-B";
constexpr std::string_view kC = "KXOTHER-26JAN02-C";

std::string WriteSyntheticRecording(const std::string& path, bool use_yes_price = false) {
  recording::RecordingHeader header;
  header.source = "exchange test";
  header.environment = recording::KalshiEnvironment::kLocal;
  header.use_yes_price = use_yes_price;
  header.creator = "exchange_server_test";
  auto writer = recording::RecordingWriter::Create(path, header);
  EXPECT_TRUE(writer.ok());
  int64_t seq = 0;
  int64_t ts_ms = 1'767'225'600'000;  // 2026-01-01
  auto no_price = [&](int64_t cents) {
    Price p = Price::FromCents(cents);
    return use_yes_price ? p.Complement() : p;
  };
  auto append = [&](const std::string& frame) {
    recording::Record r;
    r.local_ts = core::Timestamp::FromMillis(ts_ms);
    r.sid = 1;
    r.seq = seq;
    r.frame = frame;
    EXPECT_TRUE((*writer)->Append(r).ok());
    ts_ms += 3;
  };
  auto snapshot = [&](std::string_view ticker, std::vector<PriceLevel> yes,
                      std::vector<PriceLevel> no) {
    kalshi::OrderbookSnapshot s;
    s.market_ticker = ticker;
    s.yes_bids = yes;
    s.no_bids = no;
    std::string f;
    kalshi::EncodeOrderbookSnapshot(1, ++seq, s, f);
    append(f);
  };
  auto delta = [&](std::string_view ticker, OutcomeSide side, int64_t cents, int64_t contracts) {
    kalshi::OrderbookDelta d;
    d.market_ticker = ticker;
    d.side = side;
    d.price = side == OutcomeSide::kNo ? no_price(cents) : Price::FromCents(cents);
    d.delta = Count::FromContracts(contracts);
    d.ts_ms = ts_ms;
    std::string f;
    kalshi::EncodeOrderbookDelta(1, ++seq, d, f);
    append(f);
  };
  auto lvl = [](int64_t cents, int64_t n) {
    return PriceLevel{Price::FromCents(cents), Count::FromContracts(n)};
  };
  auto no_lvl = [&](int64_t cents, int64_t n) {
    return PriceLevel{no_price(cents), Count::FromContracts(n)};
  };
  snapshot(kA, {lvl(40, 10), lvl(42, 5)}, {no_lvl(50, 7), no_lvl(55, 3)});
  snapshot(kB, {lvl(10, 100)}, {no_lvl(80, 20)});
  uint64_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    std::string_view t = (x >> 33) % 3 == 0 ? kB : kA;
    OutcomeSide side = (x >> 40) % 2 == 0 ? OutcomeSide::kYes : OutcomeSide::kNo;
    int64_t cents = 30 + static_cast<int64_t>((x >> 20) % 20);
    int64_t n = 1 + static_cast<int64_t>((x >> 45) % 9);
    if ((x >> 50) % 3 == 0) n = -n;
    delta(t, side, cents, n);
    if (i == 150) snapshot(kA, {lvl(41, 9), lvl(44, 2)}, {no_lvl(52, 6)});  // re-snapshot
    if (i == 200) snapshot(kC, {lvl(60, 1)}, {no_lvl(30, 2)});              // late market
    if (i == 210) {
      kalshi::Trade tr;
      tr.trade_id = "t-1";
      tr.market_ticker = kA;
      tr.yes_price = Price::FromCents(44);
      tr.no_price = Price::FromCents(56);
      tr.count = Count::FromContracts(3);
      tr.ts_ms = ts_ms;
      std::string f;
      kalshi::EncodeTrade(2, 1, tr, f);
      append(f);
    }
  }
  EXPECT_TRUE((*writer)->Close().ok());
  return path;
}

// The books a recording leads to (what the exchange must end with), NO-leg prices.
std::map<std::string, book::OrderBook> TruthBooks(const std::vector<std::string>& paths) {
  std::vector<std::pair<core::Timestamp, std::pair<std::string, bool>>> frames;
  for (const auto& path : paths) {
    auto reader = recording::RecordingReader::Open(path);
    EXPECT_TRUE(reader.ok());
    bool yes_price = (*reader)->header().use_yes_price;
    recording::Record r;
    while ((*reader)->Next(&r).value_or(false)) {
      frames.push_back({r.local_ts, {std::string(r.frame), yes_price}});
    }
  }
  std::stable_sort(frames.begin(), frames.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::map<std::string, book::OrderBook> books;
  kalshi::Decoder decoder;
  for (const auto& [ts, fr] : frames) {
    auto m = decoder.Decode(fr.first);
    if (!m.ok()) continue;
    const kalshi::Message& msg = **m;
    if (msg.type == kalshi::MessageType::kOrderbookSnapshot) {
      std::vector<PriceLevel> no(msg.snapshot.no_bids.begin(), msg.snapshot.no_bids.end());
      if (fr.second) {
        for (auto& l : no) l.price = l.price.Complement();
      }
      auto& b = books.try_emplace(std::string(msg.snapshot.market_ticker)).first->second;
      (void)b.ApplySnapshot(msg.snapshot.yes_bids, no);
    } else if (msg.type == kalshi::MessageType::kOrderbookDelta) {
      auto it = books.find(std::string(msg.delta.market_ticker));
      if (it == books.end()) continue;
      Price p = msg.delta.price;
      if (fr.second && msg.delta.side == OutcomeSide::kNo) p = p.Complement();
      (void)it->second.ApplyDelta(msg.delta.side, p, msg.delta.delta);
    }
  }
  return books;
}

// ---------------------------------------------------------------------------------------------
// Test client

struct ConnectResult {
  bool upgraded = false;
  int status = 0;
  std::string body;
};

class WsClient {
 public:
  using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  using PlainWs = websocket::stream<beast::tcp_stream>;

  WsClient(bool tls, const std::string& ca_pem) : ssl_(asio::ssl::context::tls_client) {
    if (tls) {
      ssl_.add_certificate_authority(asio::buffer(ca_pem));
      ssl_.set_verify_mode(asio::ssl::verify_peer);
      ws_.emplace<TlsWs>(ioc_, ssl_);
    } else {
      ws_.emplace<PlainWs>(ioc_);
    }
  }

  ConnectResult Connect(uint16_t port, const Headers& headers,
                        std::string path = "/trade-api/ws/v2") {
    ConnectResult result;
    std::visit(
        [&](auto& ws) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>) {
            beast::error_code ec;
            beast::get_lowest_layer(ws).connect(
                tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
            ASSERT_FALSE(ec) << ec.message();
            if constexpr (std::is_same_v<std::decay_t<decltype(ws)>, TlsWs>) {
              SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "localhost");
              ws.next_layer().set_verify_callback(asio::ssl::host_name_verification("localhost"));
              ws.next_layer().handshake(asio::ssl::stream_base::client, ec);
              ASSERT_FALSE(ec) << ec.message();
            }
            ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& r) {
              for (const auto& [k, v] : headers) r.set(k, v);
            }));
            ws.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
              if (kind == websocket::frame_type::ping) pings_.push_back(std::string(payload));
            });
            websocket::response_type res;
            ws.handshake(res, "localhost", path, ec);
            result.status = static_cast<int>(res.result_int());
            result.body = res.body();
            result.upgraded = !ec;
          }
        },
        ws_);
    if (result.upgraded) ArmRead();
    return result;
  }

  void Send(const std::string& text) {
    bool done = false;
    std::visit(
        [&](auto& ws) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>) {
            out_ = text;
            ws.text(true);
            ws.async_write(asio::buffer(out_),
                           [&](beast::error_code, std::size_t) { done = true; });
          }
        },
        ws_);
    auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_for(std::chrono::milliseconds(50));
    }
  }

  /// The next text frame, or nullopt once the connection is closed.
  std::optional<std::string> Read() {
    auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (inbox_.empty() && !closed_ && std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_for(std::chrono::milliseconds(50));
    }
    if (inbox_.empty()) return std::nullopt;
    std::string f = std::move(inbox_.front());
    inbox_.pop_front();
    return f;
  }

  /// Reads until a frame answering command `id` (its "id" field) and returns every frame
  /// before it plus the answer itself (last).
  std::vector<std::string> ReadThroughAnswer(int64_t id) {
    std::vector<std::string> frames;
    while (auto f = Read()) {
      frames.push_back(*f);
      Json j = Json::parse(*f, nullptr, false);
      if (!j.is_discarded() && j.value("id", int64_t{0}) == id &&
          j.value("type", std::string()) != "orderbook_snapshot") {
        break;
      }
    }
    return frames;
  }

  void Poll(std::chrono::milliseconds d) { ioc_.run_for(d); }
  bool closed() const { return closed_; }
  const std::vector<std::string>& pings() const { return pings_; }

 private:
  void ArmRead() {
    std::visit(
        [&](auto& ws) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>) {
            ws.async_read(buf_, [this, &ws](beast::error_code ec, std::size_t) {
              if (ec) {
                closed_ = true;
                return;
              }
              inbox_.push_back(beast::buffers_to_string(buf_.data()));
              buf_.consume(buf_.size());
              (void)ws;
              ArmRead();
            });
          }
        },
        ws_);
  }

  asio::io_context ioc_;
  asio::ssl::context ssl_;
  std::variant<std::monostate, TlsWs, PlainWs> ws_;
  beast::flat_buffer buf_;
  std::deque<std::string> inbox_;
  std::vector<std::string> pings_;
  std::string out_;
  bool closed_ = false;
};

struct HttpResult {
  int status = 0;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

// One or more GETs over one keep-alive connection.
std::vector<HttpResult> HttpGets(uint16_t port, bool tls, const std::string& ca_pem,
                                 const std::vector<std::string>& targets,
                                 const Headers& headers = {}) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  std::vector<HttpResult> out;
  auto run = [&](auto& stream) {
    for (const auto& target : targets) {
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, "localhost");
      req.keep_alive(true);
      for (const auto& [k, v] : headers) req.set(k, v);
      http::write(stream, req);
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      out.push_back(HttpResult{static_cast<int>(res.result_int()), res.body()});
    }
  };
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  if (tls) {
    ctx.add_certificate_authority(asio::buffer(ca_pem));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    stream.handshake(asio::ssl::stream_base::client);
    run(stream);
  } else {
    run(socket);
  }
  return out;
}

// Client-side books rebuilt from received frames, with seq checks per sid.
struct ClientBooks {
  bool use_yes_price = false;
  bool strict = true;  // fault runs: deltas of a market whose snapshot was skipped are counted
  int orphan_deltas = 0;
  std::map<int64_t, int64_t> last_seq;
  std::map<std::string, book::OrderBook> books;
  int gaps = 0, duplicates = 0, malformed = 0, snapshots = 0, deltas = 0;
  kalshi::Decoder decoder;

  void Apply(const std::string& frame) {
    auto m = decoder.Decode(frame);
    if (!m.ok()) {
      ++malformed;
      return;
    }
    const kalshi::Message& msg = **m;
    if (msg.seq && msg.sid > 0) {
      int64_t& last = last_seq[msg.sid];
      if (*msg.seq <= last) {
        ++duplicates;
        return;
      }
      if (*msg.seq != last + 1) ++gaps;
      last = *msg.seq;
    }
    if (msg.type == kalshi::MessageType::kOrderbookSnapshot) {
      ++snapshots;
      std::vector<PriceLevel> no(msg.snapshot.no_bids.begin(), msg.snapshot.no_bids.end());
      if (use_yes_price) {
        for (auto& l : no) l.price = l.price.Complement();
      }
      auto& b = books.try_emplace(std::string(msg.snapshot.market_ticker)).first->second;
      EXPECT_FALSE(b.ApplySnapshot(msg.snapshot.yes_bids, no).has_value());
    } else if (msg.type == kalshi::MessageType::kOrderbookDelta) {
      ++deltas;
      auto it = books.find(std::string(msg.delta.market_ticker));
      if (it == books.end()) {
        ++orphan_deltas;
        EXPECT_FALSE(strict) << "delta before snapshot: " << frame;
        return;
      }
      Price p = msg.delta.price;
      if (use_yes_price && msg.delta.side == OutcomeSide::kNo) p = p.Complement();
      auto applied = it->second.ApplyDelta(msg.delta.side, p, msg.delta.delta);
      if (strict) {
        EXPECT_TRUE(applied.ok()) << frame;
      }
    }
  }
};

std::string Subscribe(int64_t id, const std::vector<std::string_view>& tickers,
                      bool use_yes_price = false, std::string channel = "orderbook_delta") {
  Json j = {{"id", id},
            {"cmd", "subscribe"},
            {"params", {{"channels", {channel}}, {"use_yes_price", use_yes_price}}}};
  if (!tickers.empty()) {
    Json list = Json::array();
    for (auto t : tickers) list.push_back(std::string(t));
    j["params"]["market_tickers"] = list;
  }
  return j.dump();
}

struct Env {
  TempDir dir;
  TestKey key = MakeKey("key-ed25519", false);
  std::unique_ptr<ExchangeServer> server;
  std::vector<std::string> recordings;
  bool tls = true;

  void Start(ExchangeOptions options) {
    tls = options.tls;
    if (options.recordings.empty()) options.recordings = recordings;
    options.api_keys.push_back(key.api_key());
    auto s = ExchangeServer::Start(std::move(options));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    server = std::move(*s);
  }
  std::unique_ptr<WsClient> Connect() {
    auto c = std::make_unique<WsClient>(tls, server->certificate_pem());
    auto r = c->Connect(server->port(), Sign(key, "GET", "/trade-api/ws/v2"));
    EXPECT_TRUE(r.upgraded) << r.status << " " << r.body;
    return c;
  }
  std::vector<HttpResult> Get(const std::vector<std::string>& targets, bool auth = false) {
    Headers h;
    if (auth) h = Sign(key, "GET", targets.front());
    return HttpGets(server->port(), tls, server->certificate_pem(), targets, h);
  }
};

// Reads everything the server sends until the replay finished and the marker answer arrived.
// The marker is an `add_markets` of an already subscribed market on `sid` (its `ok` carries
// the sid's next seq, so a trailing gap shows), or list_subscriptions when sid is 0.
std::vector<std::string> DrainUntilReplayDone(Env& env, WsClient& client, int64_t marker_id,
                                              int64_t sid = 0) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!env.server->Stats().replay_finished && std::chrono::steady_clock::now() < deadline) {
    client.Poll(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(env.server->Stats().replay_finished);
  if (sid > 0) {
    client.Send(
        Json{{"id", marker_id},
             {"cmd", "update_subscription"},
             {"params", {{"sid", sid}, {"market_tickers", {kA}}, {"action", "add_markets"}}}}
            .dump());
  } else {
    client.Send(Json{{"id", marker_id}, {"cmd", "list_subscriptions"}}.dump());
  }
  return client.ReadThroughAnswer(marker_id);
}

// ---------------------------------------------------------------------------------------------
// Authentication

TEST(ExchangeAuthTest, RejectsBadCredentialsAndAcceptsEd25519AndRsa) {
  Env env;
  TestKey rsa = MakeKey("key-rsa", true);
  TestKey stranger = MakeKey("key-unknown", false);
  ExchangeOptions options;
  options.api_keys.push_back(rsa.api_key());
  options.start = ReplayStart::kImmediately;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  env.Start(options);
  const uint16_t port = env.server->port();
  const std::string& ca = env.server->certificate_pem();
  const std::string balance = "/trade-api/v2/portfolio/balance";

  auto expect_401 = [&](const Headers& h, std::string_view detail_part) {
    auto r = HttpGets(port, true, ca, {balance}, h).at(0);
    EXPECT_EQ(r.status, 401);
    Json j = r.json();
    EXPECT_EQ(j["error"]["code"], "authentication_error");
    EXPECT_EQ(j["error"]["message"], "authentication_error");
    EXPECT_NE(j["error"]["details"].get<std::string>().find(detail_part), std::string::npos)
        << r.body;
  };
  expect_401({}, "missing KALSHI-ACCESS-KEY");
  Headers no_sig = Sign(env.key, "GET", balance);
  no_sig.pop_back();
  expect_401(no_sig, "missing KALSHI-ACCESS-SIGNATURE");
  expect_401(Sign(stranger, "GET", balance), "unknown API key");
  expect_401(Sign(env.key, "GET", "/trade-api/v2/portfolio/orders"), "INCORRECT_API_KEY_SIGNATURE");
  Headers bad_b64 = Sign(env.key, "GET", balance);
  bad_b64[2].second = "!!not base64!!";
  expect_401(bad_b64, "malformed KALSHI-ACCESS-SIGNATURE");
  core::SimulatedClock past(core::Timestamp::FromNanos(core::RealClock::Instance().Now().nanos() -
                                                       int64_t{10} * 60 * 1'000'000'000));
  expect_401(Sign(env.key, "GET", balance, past), "stale timestamp");
  Headers bad_ts = Sign(env.key, "GET", balance);
  bad_ts[1].second = "12ab";
  expect_401(bad_ts, "malformed KALSHI-ACCESS-TIMESTAMP");

  // Good keys pass authentication: each is an account with the default $1,000 balance.
  for (const TestKey* k : {&env.key, &rsa}) {
    auto r = HttpGets(port, true, ca, {balance}, Sign(*k, "GET", balance)).at(0);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["balance"], 100'000);  // cents
    EXPECT_EQ(r.json()["balance_dollars"], "1000.000000");
  }
  // Query strings are not signed.
  auto q = HttpGets(port, true, ca, {balance + "?limit=5"}, Sign(env.key, "GET", balance)).at(0);
  EXPECT_EQ(q.status, 200);

  // WebSocket upgrade: always authenticated.
  {
    WsClient c(true, ca);
    auto r = c.Connect(port, {});
    EXPECT_FALSE(r.upgraded);
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("authentication_error"), std::string::npos);
  }
  {
    WsClient c(true, ca);
    auto r = c.Connect(port, Sign(env.key, "GET", "/trade-api/v2/markets"));
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("INCORRECT_API_KEY_SIGNATURE"), std::string::npos);
  }
  for (const TestKey* k : {&env.key, &rsa}) {
    WsClient c(true, ca);
    EXPECT_TRUE(c.Connect(port, Sign(*k, "GET", "/trade-api/ws/v2")).upgraded);
  }
  EXPECT_EQ(env.server->Stats().auth_failures, 9u);
}

// ---------------------------------------------------------------------------------------------
// Subscribe, snapshot, deltas, ground truth

void CheckGroundTruth(Env& env, bool use_yes_price, const std::vector<std::string_view>& tickers) {
  auto client = env.Connect();
  ClientBooks books;
  books.use_yes_price = use_yes_price;
  client->Send(Subscribe(1, tickers, use_yes_price));
  auto first = client->Read();
  ASSERT_TRUE(first);
  Json ack = Json::parse(*first);
  EXPECT_EQ(ack["type"], "subscribed");
  EXPECT_EQ(ack["id"], 1);
  EXPECT_EQ(ack["msg"]["channel"], "orderbook_delta");
  const int64_t sid = ack["msg"]["sid"];
  auto frames = DrainUntilReplayDone(env, *client, 99);
  ASSERT_FALSE(frames.empty());
  Json second = Json::parse(frames.front());
  EXPECT_EQ(second["type"], "orderbook_snapshot");
  EXPECT_EQ(second["seq"], 1);
  EXPECT_EQ(second["sid"], sid);
  for (const auto& f : frames) books.Apply(f);
  EXPECT_EQ(Json::parse(frames.back())["type"], "ok");
  EXPECT_EQ(books.gaps, 0);
  EXPECT_EQ(books.duplicates, 0);
  EXPECT_EQ(books.malformed, 0);
  EXPECT_GT(books.deltas, 0);

  auto truth = TruthBooks(env.recordings);
  std::set<std::string> want(tickers.begin(), tickers.end());
  for (const auto& [ticker, tb] : truth) {
    if (!want.empty() && want.count(ticker) == 0) continue;
    auto it = books.books.find(ticker);
    ASSERT_NE(it, books.books.end()) << ticker;
    EXPECT_TRUE(it->second.LevelsEqual(tb)) << ticker;
    // The REST orderbook (NO-leg prices always) matches too.
    auto r = env.Get({"/trade-api/v2/markets/" + ticker + "/orderbook"}).at(0);
    ASSERT_EQ(r.status, 200);
    Json ob = r.json()["orderbook_fp"];
    for (OutcomeSide side : {OutcomeSide::kYes, OutcomeSide::kNo}) {
      const Json& levels = ob[side == OutcomeSide::kYes ? "yes_dollars" : "no_dollars"];
      auto bids = tb.Bids(side);
      ASSERT_EQ(levels.size(), bids.size()) << ticker;
      for (std::size_t i = 0; i < bids.size(); ++i) {
        EXPECT_EQ(levels[i][0], bids[i].price.ToString());
        EXPECT_EQ(levels[i][1], bids[i].count.ToString());
      }
    }
  }
  auto stats = env.server->Stats();
  EXPECT_EQ(stats.replay_records_done, stats.replay_records_total);
  EXPECT_GT(stats.snapshots_sent, 0u);
}

TEST(ExchangeWsTest, SyntheticRecordingGroundTruthOverTls) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.speed = 0;
  env.Start(options);
  CheckGroundTruth(env, false, {kA, kB, kC});
}

TEST(ExchangeWsTest, UseYesPriceSendsNoLevelsInYesLegPrices) {
  Env env;
  // The recording itself was made with use_yes_price=true: the exchange converts it back.
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("y.kfrec"), true));
  ExchangeOptions options;
  options.speed = 0;
  env.Start(options);
  CheckGroundTruth(env, true, {kA, kB, kC});
  // A fresh snapshot shows NO bids in YES-leg prices: the NO bid at 80c (NO leg) of market B
  // is reported as 0.2000.
  auto client = env.Connect();
  client->Send(Subscribe(1, {kB}, true));
  (void)client->Read();
  Json snap = Json::parse(client->Read().value());
  ASSERT_EQ(snap["type"], "orderbook_snapshot");
  auto truth = TruthBooks(env.recordings).at(std::string(kB));
  auto no = truth.Bids(OutcomeSide::kNo);
  ASSERT_FALSE(no.empty());
  ASSERT_EQ(snap["msg"]["no_dollars_fp"].size(), no.size());
  // Ascending in the price sent: the best NO bid (highest NO-leg price) comes first.
  EXPECT_EQ(snap["msg"]["no_dollars_fp"][0][0], no.back().price.Complement().ToString());
}

TEST(ExchangeWsTest, RealDemoRecordingGroundTruth) {
  Env env;
  const char* root = std::getenv("KF_SHARED_DIR");
  (void)root;
  const std::string csv = "data/demo/market_logs/market_data_KXHIGHNY-25DEC06.csv.zst";
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << "demo data not found: " << csv;
  const std::string out = env.dir.File("demo.kfrec");
  auto report = recording::ConvertTopOfBookCsvToFile(std::vector<std::string>{csv}, out, {});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  env.recordings.push_back(out);
  ExchangeOptions options;
  options.speed = 0;
  env.Start(options);
  std::vector<std::string> tickers;
  for (const auto& [t, b] : TruthBooks(env.recordings)) tickers.push_back(t);
  std::vector<std::string_view> views(tickers.begin(), tickers.end());
  CheckGroundTruth(env, false, views);
}

// ---------------------------------------------------------------------------------------------
// Commands

Json ReadJson(WsClient& c) {
  auto f = c.Read();
  EXPECT_TRUE(f.has_value());
  return f ? Json::parse(*f, nullptr, false) : Json();
}

TEST(ExchangeWsTest, UpdateSubscriptionListAndUnsubscribe) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.speed = 0;
  options.start = ReplayStart::kImmediately;
  env.Start(options);
  ASSERT_TRUE(env.server->WaitReplayFinished(kGuard));  // books final: no deltas flow
  auto truth = TruthBooks(env.recordings);
  auto c = env.Connect();
  c->Send(Subscribe(1, {kA}));
  Json ack = ReadJson(*c);
  ASSERT_EQ(ack["type"], "subscribed");
  const int64_t sid = ack["msg"]["sid"];
  Json snap = ReadJson(*c);
  EXPECT_EQ(snap["type"], "orderbook_snapshot");
  EXPECT_EQ(snap["seq"], 1);
  EXPECT_EQ(snap["msg"]["market_ticker"], kA);
  EXPECT_FALSE(snap["msg"]["market_id"].get<std::string>().empty());

  c->Send(Json{{"id", 2},
               {"cmd", "update_subscription"},
               {"params", {{"sids", {sid}}, {"market_tickers", {kB}}, {"action", "add_markets"}}}}
              .dump());
  Json ok = ReadJson(*c);
  EXPECT_EQ(ok["type"], "ok");
  EXPECT_EQ(ok["id"], 2);
  EXPECT_EQ(ok["sid"], sid);
  EXPECT_EQ(ok["seq"], 2);
  EXPECT_EQ(ok["msg"]["market_tickers"], Json::array({kA, kB}));
  Json snap_b = ReadJson(*c);
  EXPECT_EQ(snap_b["type"], "orderbook_snapshot");
  EXPECT_EQ(snap_b["seq"], 3);
  EXPECT_EQ(snap_b["msg"]["market_ticker"], kB);

  c->Send(Json{{"id", 3},
               {"cmd", "update_subscription"},
               {"params", {{"sid", sid}, {"market_tickers", {kA, kB}}, {"action", "get_snapshot"}}}}
              .dump());
  Json s1 = ReadJson(*c), s2 = ReadJson(*c);
  EXPECT_EQ(s1["type"], "orderbook_snapshot");
  EXPECT_EQ(s1["id"], 3);
  EXPECT_EQ(s1["seq"], 4);
  EXPECT_EQ(s2["seq"], 5);
  EXPECT_EQ(s2["msg"]["market_ticker"], kB);
  ClientBooks books;
  books.Apply(s1.dump());
  EXPECT_TRUE(books.books.at(std::string(kA)).LevelsEqual(truth.at(std::string(kA))));

  c->Send(
      Json{{"id", 4},
           {"cmd", "update_subscription"},
           {"params", {{"sids", {sid}}, {"market_tickers", {kA}}, {"action", "delete_markets"}}}}
          .dump());
  Json ok2 = ReadJson(*c);
  EXPECT_EQ(ok2["msg"]["market_tickers"], Json::array({kB}));
  EXPECT_EQ(ok2["seq"], 6);

  c->Send(Subscribe(5, {}, false, "ticker"));
  Json ack2 = ReadJson(*c);
  EXPECT_EQ(ack2["msg"]["channel"], "ticker");
  const int64_t ticker_sid = ack2["msg"]["sid"];
  EXPECT_NE(ticker_sid, sid);
  c->Send(R"({"id":6,"cmd":"list_subscriptions"})");
  Json list = ReadJson(*c);
  EXPECT_EQ(list["type"], "ok");
  EXPECT_EQ(list["msg"],
            Json::parse(R"([{"channel":"orderbook_delta","sid":)" + std::to_string(sid) +
                        R"(},{"channel":"ticker","sid":)" + std::to_string(ticker_sid) + "}]"));

  c->Send(Json{{"id", 7}, {"cmd", "unsubscribe"}, {"params", {{"sids", {sid}}}}}.dump());
  Json unsub = ReadJson(*c);
  EXPECT_EQ(unsub["type"], "unsubscribed");
  EXPECT_EQ(unsub["sid"], sid);
  EXPECT_EQ(unsub["seq"], 7);
  c->Send(R"({"id":8,"cmd":"list_subscriptions"})");
  EXPECT_EQ(ReadJson(*c)["msg"].size(), 1u);
}

TEST(ExchangeWsTest, ErrorCodes) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.start = ReplayStart::kImmediately;
  options.speed = 0;
  env.Start(options);
  ASSERT_TRUE(env.server->WaitReplayFinished(kGuard));
  auto c = env.Connect();
  c->Send(Subscribe(1, {kA}));
  const int64_t sid = ReadJson(*c)["msg"]["sid"];
  (void)ReadJson(*c);  // snapshot
  struct Case {
    std::string command;
    int code;
    std::string message;
  };
  const std::string s = std::to_string(sid);
  std::vector<Case> cases = {
      {"not json", 1, "Unable to process message"},
      {R"({"id":10,"cmd":"fly"})", 5, "Unknown command"},
      {R"({"id":11,"cmd":"subscribe"})", 2, "Params required"},
      {R"({"id":12,"cmd":"subscribe","params":{}})", 3, "Channels required"},
      {R"({"id":13,"cmd":"subscribe","params":{"channels":["nope"],"market_ticker":"X"}})", 8,
       "Unknown channel name"},
      {R"({"id":14,"cmd":"subscribe","params":{"channels":["orderbook_delta"]}})", 14,
       "Market Ticker required"},
      {R"({"id":15,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_ticker":"NOPE-1"}})",
       16, "Market not found"},
      {R"({"id":16,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_ticker":"A","market_tickers":["B"]}})",
       11, "Invalid parameter"},
      {R"({"id":17,"cmd":"unsubscribe","params":{}})", 4, "Subscription IDs required"},
      {R"({"id":18,"cmd":"unsubscribe","params":{"sids":[777]}})", 7, "Unknown subscription ID"},
      {R"({"id":19,"cmd":"update_subscription","params":{"sids":[1,2],"action":"add_markets","market_tickers":["A"]}})",
       12, "Exactly one subscription ID is required"},
      {R"({"id":20,"cmd":"update_subscription","params":{"sid":)" + s +
           R"(,"action":"explode","market_tickers":["A"]}})",
       13, "Unsupported action"},
      {R"({"id":21,"cmd":"update_subscription","params":{"sid":)" + s +
           R"(,"market_tickers":["A"]}})",
       15, "Action required"},
      {R"({"id":22,"cmd":"update_subscription","params":{"sid":)" + s +
           R"(,"action":"add_markets"}})",
       14, "Market Ticker required"},
      {R"({"id":23,"cmd":"update_subscription","params":{"sid":999,"action":"add_markets","market_tickers":["A"]}})",
       7, "Unknown subscription ID"},
  };
  uint64_t errors_before = env.server->Stats().command_errors;
  for (const Case& k : cases) {
    c->Send(k.command);
    Json e = ReadJson(*c);
    EXPECT_EQ(e["type"], "error") << k.command;
    EXPECT_EQ(e["msg"]["code"], k.code) << k.command;
    EXPECT_EQ(e["msg"]["msg"], k.message) << k.command;
  }
  EXPECT_EQ(env.server->Stats().command_errors - errors_before, cases.size());
  // Market not found names the market.
  c->Send(
      R"({"id":30,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_ticker":"NOPE-1"}})");
  EXPECT_EQ(ReadJson(*c)["msg"]["market_ticker"], "NOPE-1");
}

// ---------------------------------------------------------------------------------------------
// Faults

struct FaultRun {
  ClientBooks books;
  bool closed = false;
  ExchangeStats stats;
  std::size_t frames = 0;
};

FaultRun RunWithFaults(FaultOptions faults) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.speed = 0;
  options.faults = faults;
  env.Start(options);
  FaultRun run;
  run.books.strict = false;
  auto c = env.Connect();
  c->Send(Subscribe(1, {kA, kB, kC}));
  const int64_t sid = Json::parse(c->Read().value())["msg"]["sid"];
  if (faults.drop_connection_every > 0) {
    while (auto f = c->Read()) {
      ++run.frames;
      run.books.Apply(*f);
    }
    run.closed = c->closed();
  } else {
    auto frames = DrainUntilReplayDone(env, *c, 99, sid);
    run.frames = frames.size() - 1;
    for (const auto& f : frames) run.books.Apply(f);
  }
  run.stats = env.server->Stats();
  return run;
}

TEST(ExchangeFaultTest, SkipSeqMakesGaps) {
  auto run = RunWithFaults({.skip_seq_every = 10});
  EXPECT_GT(run.stats.faults_skipped_seqs, 0u);
  // Each skipped frame is a gap in seq (consecutive skips never happen with N = 10).
  EXPECT_EQ(static_cast<uint64_t>(run.books.gaps), run.stats.faults_skipped_seqs);
  EXPECT_EQ(run.books.duplicates, 0);
}

TEST(ExchangeFaultTest, DuplicatesRepeatTheSeq) {
  auto run = RunWithFaults({.duplicate_every = 7});
  EXPECT_GT(run.stats.faults_duplicates, 0u);
  EXPECT_EQ(static_cast<uint64_t>(run.books.duplicates), run.stats.faults_duplicates);
  EXPECT_EQ(run.books.gaps, 0);
}

TEST(ExchangeFaultTest, MalformedFramesDoNotDecode) {
  auto run = RunWithFaults({.malformed_every = 9});
  EXPECT_GT(run.stats.faults_malformed, 0u);
  EXPECT_EQ(static_cast<uint64_t>(run.books.malformed), run.stats.faults_malformed);
  EXPECT_EQ(run.books.gaps, 0);
}

TEST(ExchangeFaultTest, DropClosesTheConnectionAfterNFrames) {
  auto run = RunWithFaults({.drop_connection_every = 25});
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.stats.faults_dropped_connections, 1u);
  EXPECT_EQ(run.books.snapshots + run.books.deltas, 25);
}

// ---------------------------------------------------------------------------------------------
// REST

TEST(ExchangeRestTest, MarketsPaginationFiltersAndErrors) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.start = ReplayStart::kImmediately;
  options.speed = 0;
  env.Start(options);
  ASSERT_TRUE(env.server->WaitReplayFinished(kGuard));

  // Pagination with limit=1 covers every market exactly once.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string target = "/trade-api/v2/markets?limit=1";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = env.Get({target}).at(0);
    ASSERT_EQ(r.status, 200) << r.body;
    Json j = r.json();
    for (const Json& m : j["markets"]) seen.push_back(m["ticker"]);
    cursor = j["cursor"];
    if (cursor.empty()) break;
  }
  std::vector<std::string> want = {std::string(kC), std::string(kA), std::string(kB)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);

  auto all = env.Get({"/trade-api/v2/markets"}).at(0).json();
  ASSERT_EQ(all["markets"].size(), 3u);
  EXPECT_EQ(all["cursor"], "");
  auto truth = TruthBooks(env.recordings);
  for (const Json& m : all["markets"]) {
    const auto& b = truth.at(m["ticker"]);
    EXPECT_EQ(m["status"], "active");
    EXPECT_EQ(m["yes_bid_dollars"], b.BestBid(OutcomeSide::kYes)->price.ToString());
    EXPECT_EQ(m["yes_bid_size_fp"], b.BestBid(OutcomeSide::kYes)->count.ToString());
    EXPECT_EQ(m["yes_ask_dollars"], b.BestAsk(OutcomeSide::kYes)->price.ToString());
    EXPECT_EQ(m["no_bid_dollars"], b.BestBid(OutcomeSide::kNo)->price.ToString());
    EXPECT_EQ(m["event_ticker"],
              m["ticker"].get<std::string>().substr(0, m["ticker"].get<std::string>().rfind('-')));
  }
  // The trade in the recording sets last price and volume of market A.
  auto a = env.Get({"/trade-api/v2/markets/" + std::string(kA)}).at(0);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json()["market"]["last_price_dollars"], "0.4400");
  EXPECT_EQ(a.json()["market"]["volume_fp"], "3.00");

  auto filtered = env.Get(
      {"/trade-api/v2/markets?tickers=" + std::string(kA) + "," + std::string(kC),
       "/trade-api/v2/markets?event_ticker=KXTEST-26JAN01", "/trade-api/v2/markets?status=unopened",
       "/trade-api/v2/markets?status=open", "/trade-api/v2/markets?limit=5000",
       "/trade-api/v2/markets?cursor=%%%", "/trade-api/v2/markets?status=bogus"});
  EXPECT_EQ(filtered[0].json()["markets"].size(), 2u);
  EXPECT_EQ(filtered[1].json()["markets"].size(), 2u);
  EXPECT_EQ(filtered[2].json()["markets"].size(), 0u);
  EXPECT_EQ(filtered[3].json()["markets"].size(), 3u);
  EXPECT_EQ(filtered[4].status, 400);
  EXPECT_EQ(filtered[5].status, 400);
  EXPECT_EQ(filtered[6].status, 400);
  EXPECT_TRUE(filtered[6].json()["error"].contains("code"));

  auto missing = env.Get(
      {"/trade-api/v2/markets/NOPE-1", "/trade-api/v2/markets/NOPE-1/orderbook", "/nothing/here"});
  for (const auto& r : missing) {
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json()["error"]["code"], "not_found");
  }

  // Orderbook endpoint: ascending levels, best last; depth keeps the best N.
  const auto& tb = truth.at(std::string(kA));
  auto ob = env.Get({"/trade-api/v2/markets/" + std::string(kA) + "/orderbook?depth=1",
                     "/trade-api/v2/markets/orderbooks?tickers=" + std::string(kA) +
                         "&tickers=" + std::string(kB)});
  ASSERT_EQ(ob[0].status, 200);
  Json yes1 = ob[0].json()["orderbook_fp"]["yes_dollars"];
  ASSERT_EQ(yes1.size(), 1u);
  EXPECT_EQ(yes1[0][0], tb.BestBid(OutcomeSide::kYes)->price.ToString());
  Json books = ob[1].json()["orderbooks"];
  ASSERT_EQ(books.size(), 2u);
  EXPECT_EQ(books[0]["ticker"], kA);
  EXPECT_EQ(books[0]["orderbook_fp"]["no_dollars"].size(), tb.Bids(OutcomeSide::kNo).size());

  auto status = env.Get({"/trade-api/v2/exchange/status"}).at(0);
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.json()["exchange_active"], true);
  EXPECT_EQ(status.json()["trading_active"], true);
}

// ---------------------------------------------------------------------------------------------
// Plain (no TLS), pings, replay before any subscription

TEST(ExchangePlainTest, PlainWebSocketRestAndHeartbeatPings) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.tls = false;
  options.speed = 0;
  options.ping_interval = std::chrono::milliseconds(20);
  env.Start(options);
  EXPECT_TRUE(env.server->certificate_pem().empty());
  EXPECT_EQ(env.server->ws_url().rfind("ws://127.0.0.1:", 0), 0u);
  EXPECT_EQ(env.server->rest_url().rfind("http://127.0.0.1:", 0), 0u);
  auto r = env.Get({"/trade-api/v2/exchange/status", "/trade-api/v2/markets?limit=2"});
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[1].json()["markets"].size(), 2u);
  CheckGroundTruth(env, false, {kA, kB, kC});
  auto c = env.Connect();
  auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (c->pings().empty() && std::chrono::steady_clock::now() < deadline) {
    c->Poll(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(c->pings().empty());
  EXPECT_EQ(c->pings().front(), "heartbeat");
  EXPECT_GT(env.server->Stats().pings_sent, 0u);
}

TEST(ExchangeServerTest, StopWithLiveConnectionsAndHostileInput) {
  Env env;
  env.recordings.push_back(WriteSyntheticRecording(env.dir.File("a.kfrec")));
  ExchangeOptions options;
  options.speed = 1;  // real time: the replay is still running when Stop() comes
  env.Start(options);
  auto c = env.Connect();
  // Deeply nested JSON, a huge id and binary-looking text never crash the server.
  c->Send(std::string(200'000, '[') + std::string(200'000, ']'));
  EXPECT_EQ(ReadJson(*c)["msg"]["code"], 1);
  c->Send(R"({"id":18446744073709551615,"cmd":"list_subscriptions"})");
  EXPECT_EQ(ReadJson(*c)["msg"]["code"], 1);
  c->Send(Subscribe(1, {kA, kB}));
  EXPECT_EQ(ReadJson(*c)["type"], "subscribed");
  EXPECT_EQ(ReadJson(*c)["type"], "orderbook_snapshot");
  env.server->Stop();
  env.server->Stop();  // idempotent
  while (c->Read()) {
  }
  EXPECT_TRUE(c->closed());
  EXPECT_FALSE(env.server->Stats().replay_finished);
}

TEST(ExchangeServerTest, StartErrors) {
  ExchangeOptions bad_file;
  bad_file.recordings = {"/nonexistent/file.kfrec"};
  auto r1 = ExchangeServer::Start(bad_file);
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.error().message().find("/nonexistent/file.kfrec"), std::string::npos);
  ExchangeOptions bad_key;
  bad_key.api_keys.push_back({"k", "not a pem"});
  EXPECT_FALSE(ExchangeServer::Start(bad_key).ok());
  ExchangeOptions bad_speed;
  bad_speed.speed = -1;
  EXPECT_FALSE(ExchangeServer::Start(bad_speed).ok());
  // Port in use.
  auto first = ExchangeServer::Start(ExchangeOptions{});
  ASSERT_TRUE(first.ok());
  ExchangeOptions same;
  same.port = (*first)->port();
  auto second = ExchangeServer::Start(same);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), core::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kalshiflow::exchange
