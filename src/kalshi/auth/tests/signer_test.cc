#include "kalshi/auth/signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "core/time.h"
#include "kalshi/auth/tests/key_fixture.h"
#include "kalshi/auth/verifier.h"

namespace kalshiflow::kalshi::auth {
namespace {

namespace fs = std::filesystem;
using testing::Keys;
using testing::ReadText;
using testing::RunCommand;
using testing::WriteText;

// ---- pre-sign text and headers (known answers, PROTOCOL §1.1-1.2) ---------------------------

TEST(PreSignTextTest, ProtocolExamplesExactly) {
  EXPECT_EQ(BuildPreSignText(1703123456789, "GET", "/trade-api/v2/portfolio/orders?limit=5"),
            "1703123456789GET/trade-api/v2/portfolio/orders");
  EXPECT_EQ(BuildPreSignText(1703123456789, "POST", "/trade-api/v2/portfolio/events/orders"),
            "1703123456789POST/trade-api/v2/portfolio/events/orders");
  EXPECT_EQ(BuildPreSignText(1703123456789, "GET", "/trade-api/ws/v2"),
            "1703123456789GET/trade-api/ws/v2");
}

TEST(PreSignTextTest, UppercasesMethodAndStripsOnlyTheQuery) {
  EXPECT_EQ(BuildPreSignText(1, "delete", "/trade-api/v2/portfolio/events/orders/abc"),
            "1DELETE/trade-api/v2/portfolio/events/orders/abc");
  // Everything from the first '?' goes, including a second '?'.
  EXPECT_EQ(BuildPreSignText(1703123456789, "get", "/trade-api/v2/markets?a=1?b=2"),
            "1703123456789GET/trade-api/v2/markets");
  // No trailing slash added, none removed; tickers with '.' appear as-is.
  EXPECT_EQ(BuildPreSignText(1703123456789, "GET", "/trade-api/v2/markets/KXHIGHNY-25DEC05-B32.5/"),
            "1703123456789GET/trade-api/v2/markets/KXHIGHNY-25DEC05-B32.5/");
  EXPECT_EQ(BuildPreSignText(1703123456789, "GET", "/trade-api/v2/markets?"),
            "1703123456789GET/trade-api/v2/markets");
}

TEST(AuthHeadersTest, HeaderNamesAreKalshis) {
  EXPECT_EQ(kAccessKeyHeader, "KALSHI-ACCESS-KEY");
  EXPECT_EQ(kAccessTimestampHeader, "KALSHI-ACCESS-TIMESTAMP");
  EXPECT_EQ(kAccessSignatureHeader, "KALSHI-ACCESS-SIGNATURE");
}

TEST(AuthHeadersTest, MakeAuthHeadersSignsClockMillisMethodAndPath) {
  auto signer = Signer::FromFile(Keys().rsa_pkcs1);
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  // 1703123456789 ms plus 999,999 ns: the header must truncate to whole milliseconds.
  const core::SimulatedClock clock(core::Timestamp::FromNanos(1703123456789'999'999));
  const std::string key_id = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
  auto headers =
      MakeAuthHeaders(key_id, *signer, clock, "get", "/trade-api/v2/portfolio/orders?limit=5");
  ASSERT_TRUE(headers.ok()) << headers.error().ToString();
  EXPECT_EQ(headers->key_id, key_id);
  EXPECT_EQ(headers->timestamp_ms, "1703123456789");
  EXPECT_EQ(headers->signature.size(), 344u);  // RSA-2048: 256 bytes -> 344 base64 chars
  const auto list = headers->List();
  EXPECT_EQ(list[0].first, "KALSHI-ACCESS-KEY");
  EXPECT_EQ(list[0].second, key_id);
  EXPECT_EQ(list[1].first, "KALSHI-ACCESS-TIMESTAMP");
  EXPECT_EQ(list[1].second, "1703123456789");
  EXPECT_EQ(list[2].first, "KALSHI-ACCESS-SIGNATURE");
  EXPECT_EQ(list[2].second, headers->signature);

  auto verifier = Verifier::FromPublicKeyFile(Keys().rsa_pub);
  ASSERT_TRUE(verifier.ok()) << verifier.error().ToString();
  EXPECT_TRUE(
      verifier->Verify("1703123456789GET/trade-api/v2/portfolio/orders", headers->signature).ok());
  // Not the query, not another method, not another timestamp.
  EXPECT_FALSE(
      verifier->Verify("1703123456789GET/trade-api/v2/portfolio/orders?limit=5", headers->signature)
          .ok());
  EXPECT_FALSE(
      verifier->Verify("1703123456789POST/trade-api/v2/portfolio/orders", headers->signature).ok());
  EXPECT_FALSE(
      verifier->Verify("1703123456790GET/trade-api/v2/portfolio/orders", headers->signature).ok());
}

TEST(AuthHeadersTest, RefusesHeaderInjectionAndBadInputs) {
  auto signer = Signer::FromFile(Keys().ed25519);
  ASSERT_TRUE(signer.ok());
  const core::SimulatedClock clock(core::Timestamp::FromMillis(1703123456789));
  for (std::string_view bad_id : {std::string_view(""), std::string_view("abc\r\nX-Evil: 1"),
                                  std::string_view("has space"), std::string_view("tab\t")}) {
    auto h = MakeAuthHeaders(bad_id, *signer, clock, "GET", "/trade-api/ws/v2");
    ASSERT_FALSE(h.ok()) << bad_id;
    EXPECT_EQ(h.error().code(), core::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(MakeAuthHeaders("id", *signer, clock, "", "/trade-api/ws/v2").ok());
  EXPECT_FALSE(MakeAuthHeaders("id", *signer, clock, "GE T", "/trade-api/ws/v2").ok());
  EXPECT_FALSE(MakeAuthHeaders("id", *signer, clock, "GET", "trade-api/ws/v2").ok());
  EXPECT_FALSE(MakeAuthHeaders("id", *signer, clock, "GET", "https://host/trade-api/ws/v2").ok());
}

// ---- key loading ------------------------------------------------------------------------------

TEST(SignerTest, LoadsPkcs1AndPkcs8RsaAndEd25519) {
  const std::string pkcs1 = ReadText(Keys().rsa_pkcs1);
  const std::string pkcs8 = ReadText(Keys().rsa_pkcs8);
  ASSERT_NE(pkcs1.find("-----BEGIN RSA PRIVATE KEY-----"), std::string::npos);
  ASSERT_NE(pkcs8.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto a = Signer::FromPem(pkcs1);
  auto b = Signer::FromPem(pkcs8);
  auto e = Signer::FromPem(ReadText(Keys().ed25519));
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(a->key_type(), KeyType::kRsa);
  EXPECT_EQ(a->key_bits(), 2048);
  EXPECT_EQ(e->key_type(), KeyType::kEd25519);
  EXPECT_EQ(KeyTypeName(e->key_type()), "ed25519");
  // The same key in two encodings has the same public key, which matches `openssl pkey -pubout`.
  EXPECT_EQ(*a->PublicKeyPem(), *b->PublicKeyPem());
  EXPECT_EQ(*a->PublicKeyPem(), ReadText(Keys().rsa_pub));
  EXPECT_EQ(*e->PublicKeyPem(), ReadText(Keys().ed25519_pub));
}

TEST(SignerTest, GarbageIsAnErrorNotACrash) {
  const std::string pkcs8 = ReadText(Keys().rsa_pkcs8);
  const std::string inputs[] = {
      "",
      "garbage",
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\nAAAA!!!!\n-----END PRIVATE KEY-----\n",
      "-----BEGIN RSA PRIVATE "
      "KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA "
      "PRIVATE KEY-----\n",
      pkcs8.substr(0, pkcs8.size() / 2),  // truncated
      ReadText(Keys().rsa_pub),           // a public key is not a private key
      std::string(1 << 17, 'A'),          // oversized
      std::string("\0\xff\xfe-----BEGIN", 10),
  };
  for (const std::string& pem : inputs) {
    auto s = Signer::FromPem(pem);
    ASSERT_FALSE(s.ok()) << pem.substr(0, 40);
    EXPECT_EQ(s.error().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST(SignerTest, ErrorsNeverEchoKeyMaterial) {
  // A corrupted real key: the error must not quote any of its base64 lines.
  std::string pem = ReadText(Keys().rsa_pkcs8);
  const std::string line = pem.substr(pem.find('\n') + 1, 64);
  pem[pem.find('\n') + 10] = '*';
  auto s = Signer::FromPem(pem);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().find(line.substr(0, 16)), std::string::npos);
  EXPECT_EQ(s.error().message().find(line.substr(20, 16)), std::string::npos);
}

TEST(SignerTest, RefusesUnsupportedSmallAndEncryptedKeys) {
  auto ec = Signer::FromFile(Keys().ec_p256);
  ASSERT_FALSE(ec.ok());
  EXPECT_EQ(ec.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(ec.error().message().find("unsupported key algorithm"), std::string::npos);
  EXPECT_NE(ec.error().message().find(Keys().ec_p256.string()), std::string::npos);

  auto small = Signer::FromFile(Keys().rsa_1024);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message().find("1024 bits"), std::string::npos);

  // Must fail at once without prompting for a passphrase (stdin is not read).
  auto enc = Signer::FromFile(Keys().encrypted);
  ASSERT_FALSE(enc.ok());
  EXPECT_NE(enc.error().message().find("encrypted"), std::string::npos);
}

// ---- key file permissions ---------------------------------------------------------------------

class KeyFileModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = Keys().dir / ("mode_" + std::to_string(counter_++) + ".pem");
    WriteText(path_, ReadText(Keys().ed25519));
  }
  void TearDown() override { fs::remove(path_); }
  fs::path path_;
  static inline int counter_ = 0;
};

TEST_F(KeyFileModeTest, OwnerOnlyModesAreAccepted) {
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    EXPECT_TRUE(CheckKeyFilePermissions(path_).ok());
    EXPECT_TRUE(Signer::FromFile(path_).ok());
  }
}

TEST_F(KeyFileModeTest, GroupOrWorldAccessIsRefusedNamingPathAndMode) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0666, 0610, 0601}) {
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    char mode_text[8];
    std::snprintf(mode_text, sizeof(mode_text), "%04o", static_cast<unsigned>(mode));
    const core::Status check = CheckKeyFilePermissions(path_);
    ASSERT_FALSE(check.ok()) << mode_text;
    EXPECT_EQ(check.code(), core::StatusCode::kPermissionDenied);
    EXPECT_NE(check.message().find(path_.string()), std::string::npos) << check.message();
    EXPECT_NE(check.message().find(mode_text), std::string::npos) << check.message();
    auto s = Signer::FromFile(path_);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), core::StatusCode::kPermissionDenied);
    EXPECT_NE(s.error().message().find(mode_text), std::string::npos);
  }
}

TEST(KeyFileTest, MissingFileAndDirectory) {
  const fs::path missing = Keys().dir / "does_not_exist.pem";
  EXPECT_EQ(CheckKeyFilePermissions(missing).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(Signer::FromFile(missing).error().code(), core::StatusCode::kNotFound);
  const fs::path sub = Keys().dir / "subdir";
  fs::create_directory(sub);
  ::chmod(sub.c_str(), 0700);
  EXPECT_EQ(CheckKeyFilePermissions(sub).code(), core::StatusCode::kPermissionDenied);
  EXPECT_FALSE(Signer::FromFile(sub).ok());
}

// ---- signatures checked by the openssl command-line tool --------------------------------------

class OpensslCliTest : public ::testing::Test {
 protected:
  // Writes `text` to msg.bin and our base64 signature to sig.b64, decoded to sig.bin by
  // `openssl base64 -d` (independent of our decoder).
  void WriteSignature(const std::string& text, const std::string& b64) {
    WriteText(dir() / "msg.bin", text);
    WriteText(dir() / "sig.b64", b64 + "\n");
    const auto r =
        RunCommand("openssl base64 -d -A -in " + Path("sig.b64") + " -out " + Path("sig.bin"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static fs::path dir() { return Keys().dir; }
  static std::string Path(const char* name) { return (dir() / name).string(); }
  static testing::CommandResult VerifyRsaWithCli(const fs::path& pub) {
    return RunCommand(
        "openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt "
        "rsa_pss_saltlen:digest -verify " +
        pub.string() + " -signature " + Path("sig.bin") + " " + Path("msg.bin"));
  }
  static testing::CommandResult VerifyEd25519WithCli(const fs::path& pub) {
    return RunCommand("openssl pkeyutl -verify -pubin -inkey " + pub.string() + " -rawin -in " +
                      Path("msg.bin") + " -sigfile " + Path("sig.bin"));
  }
};

TEST_F(OpensslCliTest, RsaPssSignaturesVerifyWithOpenssl) {
  const std::string text = "1703123456789GET/trade-api/v2/portfolio/orders";
  for (const fs::path& key : {Keys().rsa_pkcs1, Keys().rsa_pkcs8}) {
    auto signer = Signer::FromFile(key);
    ASSERT_TRUE(signer.ok()) << signer.error().ToString();
    auto sig = signer->Sign(text);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size(), 344u);
    EXPECT_EQ(sig->find('\n'), std::string::npos);
    WriteSignature(text, *sig);
    const auto ok = VerifyRsaWithCli(Keys().rsa_pub);
    EXPECT_NE(ok.output.find("Verified OK"), std::string::npos) << ok.output;
    EXPECT_EQ(ok.exit_code, 0);

    WriteText(dir() / "msg.bin", "1703123456789GET/trade-api/v2/portfolio/orderz");  // tampered
    const auto tampered = VerifyRsaWithCli(Keys().rsa_pub);
    EXPECT_EQ(tampered.output.find("Verified OK"), std::string::npos);
    EXPECT_NE(tampered.output.find("Verification failure"), std::string::npos) << tampered.output;

    WriteText(dir() / "msg.bin", text);
    const auto wrong_key = VerifyRsaWithCli(Keys().other_rsa_pub);
    EXPECT_EQ(wrong_key.output.find("Verified OK"), std::string::npos);
  }
}

TEST_F(OpensslCliTest, RsaPssIsRandomizedEd25519IsDeterministic) {
  auto rsa = Signer::FromFile(Keys().rsa_pkcs8);
  auto ed = Signer::FromFile(Keys().ed25519);
  ASSERT_TRUE(rsa.ok() && ed.ok());
  EXPECT_NE(*rsa->Sign("x"), *rsa->Sign("x"));
  EXPECT_EQ(*ed->Sign("x"), *ed->Sign("x"));
}

TEST_F(OpensslCliTest, Ed25519SignaturesVerifyWithOpenssl) {
  const std::string text = "1703123456789GET/trade-api/ws/v2";
  auto signer = Signer::FromFile(Keys().ed25519);
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  auto sig = signer->Sign(text);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 88u);  // 64 bytes
  WriteSignature(text, *sig);
  const auto ok = VerifyEd25519WithCli(Keys().ed25519_pub);
  EXPECT_NE(ok.output.find("Signature Verified Successfully"), std::string::npos) << ok.output;
  EXPECT_EQ(ok.exit_code, 0);
  WriteText(dir() / "msg.bin", "1703123456789GET/trade-api/ws/v3");
  const auto tampered = VerifyEd25519WithCli(Keys().ed25519_pub);
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_EQ(tampered.output.find("Signature Verified Successfully"), std::string::npos);
}

TEST(SignerMoveTest, MovedSignerKeepsWorking) {
  auto s = Signer::FromFile(Keys().ed25519);
  ASSERT_TRUE(s.ok());
  Signer moved = std::move(*s);
  EXPECT_TRUE(moved.Sign("abc").ok());
  Signer assigned = std::move(moved);
  EXPECT_TRUE(assigned.Sign("abc").ok());
}

}  // namespace
}  // namespace kalshiflow::kalshi::auth

namespace kalshiflow::kalshi::auth {
namespace {

TEST(GenerateEd25519Test, GeneratedKeysSignVerifiablyAndDiffer) {
  auto a = Signer::GenerateEd25519();
  auto b = Signer::GenerateEd25519();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->key_type(), KeyType::kEd25519);
  auto pem_a = a->PublicKeyPem();
  auto pem_b = b->PublicKeyPem();
  ASSERT_TRUE(pem_a.ok() && pem_b.ok());
  EXPECT_NE(*pem_a, *pem_b);
  auto verifier = Verifier::FromPublicKeyPem(*pem_a);
  ASSERT_TRUE(verifier.ok());
  const std::string text = BuildPreSignText(1703123456789, "GET", "/trade-api/ws/v2");
  auto signature = a->Sign(text);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(verifier->Verify(text, *signature).ok());
  auto other = b->Sign(text);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(verifier->Verify(text, *other).ok());
}

}  // namespace
}  // namespace kalshiflow::kalshi::auth
