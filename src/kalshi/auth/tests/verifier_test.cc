#include "kalshi/auth/verifier.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "kalshi/auth/signer.h"
#include "kalshi/auth/tests/key_fixture.h"

namespace kalshiflow::kalshi::auth {
namespace {

namespace fs = std::filesystem;
using testing::Keys;
using testing::ReadText;
using testing::RunCommand;
using testing::WriteText;

// Signs `text` with the openssl CLI and returns the signature as base64 made by the CLI.
std::string CliSign(const std::string& sign_command_middle, const std::string& text) {
  const fs::path dir = Keys().dir;
  WriteText(dir / "cli_msg.bin", text);
  const auto sign = RunCommand(sign_command_middle + " -in " + (dir / "cli_msg.bin").string() +
                               " -out " + (dir / "cli_sig.bin").string());
  EXPECT_EQ(sign.exit_code, 0) << sign.output;
  const auto b64 = RunCommand("openssl base64 -A -in " + (dir / "cli_sig.bin").string());
  EXPECT_EQ(b64.exit_code, 0) << b64.output;
  std::string out = b64.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string CliRsaPss(const fs::path& key, const char* saltlen, const std::string& text) {
  // `openssl dgst -sign` takes the message as a trailing file argument, not -in.
  const fs::path dir = Keys().dir;
  WriteText(dir / "cli_msg.bin", text);
  const auto sign =
      RunCommand(std::string("openssl dgst -sha256 -sigopt rsa_padding_mode:pss ") +
                 "-sigopt rsa_pss_saltlen:" + saltlen + " -sign " + key.string() + " -out " +
                 (dir / "cli_sig.bin").string() + " " + (dir / "cli_msg.bin").string());
  EXPECT_EQ(sign.exit_code, 0) << sign.output;
  const auto b64 = RunCommand("openssl base64 -A -in " + (dir / "cli_sig.bin").string());
  std::string out = b64.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(VerifierTest, VerifiesOpensslCliRsaPssSignatures) {
  const std::string text = "1703123456789POST/trade-api/v2/portfolio/events/orders";
  const std::string sig = CliRsaPss(Keys().rsa_pkcs8, "digest", text);
  ASSERT_EQ(sig.size(), 344u);
  for (const fs::path& pub : {Keys().rsa_pub, Keys().rsa_pub_pkcs1}) {
    auto v = Verifier::FromPublicKeyFile(pub);
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    EXPECT_EQ(v->key_type(), KeyType::kRsa);
    EXPECT_TRUE(v->Verify(text, sig).ok()) << v->Verify(text, sig).ToString();
    const core::Status tampered = v->Verify(text + "x", sig);
    EXPECT_EQ(tampered.code(), core::StatusCode::kUnauthenticated);
    EXPECT_NE(tampered.message().find(text + "x"), std::string::npos);
  }
  auto other = Verifier::FromPublicKeyFile(Keys().other_rsa_pub);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Verify(text, sig).code(), core::StatusCode::kUnauthenticated);
}

TEST(VerifierTest, SaltPolicyDigestRejectsMaxSaltAutoAcceptsIt) {
  const std::string text = "1703123456789GET/trade-api/v2/portfolio/balance";
  const std::string max_salt = CliRsaPss(Keys().rsa_pkcs1, "max", text);
  auto strict = Verifier::FromPublicKeyFile(Keys().rsa_pub);
  auto lenient = Verifier::FromPublicKeyFile(Keys().rsa_pub, {.pss_salt = PssSaltPolicy::kAuto});
  ASSERT_TRUE(strict.ok() && lenient.ok());
  EXPECT_EQ(strict->Verify(text, max_salt).code(), core::StatusCode::kUnauthenticated);
  EXPECT_TRUE(lenient->Verify(text, max_salt).ok());
  const std::string digest_salt = CliRsaPss(Keys().rsa_pkcs1, "digest", text);
  EXPECT_TRUE(strict->Verify(text, digest_salt).ok());
  EXPECT_TRUE(lenient->Verify(text, digest_salt).ok());
}

TEST(VerifierTest, VerifiesOpensslCliEd25519Signatures) {
  const std::string text = "1703123456789GET/trade-api/ws/v2";
  const std::string sig =
      CliSign("openssl pkeyutl -sign -inkey " + Keys().ed25519.string() + " -rawin", text);
  ASSERT_EQ(sig.size(), 88u);
  auto v = Verifier::FromPublicKeyFile(Keys().ed25519_pub);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->key_type(), KeyType::kEd25519);
  EXPECT_TRUE(v->Verify(text, sig).ok());
  EXPECT_EQ(v->Verify("1703123456788GET/trade-api/ws/v2", sig).code(),
            core::StatusCode::kUnauthenticated);
  // Our Ed25519 signer is deterministic, so it must produce the CLI's exact signature.
  auto signer = Signer::FromFile(Keys().ed25519);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer->Sign(text), sig);
}

TEST(VerifierTest, DerivesThePublicKeyFromAPrivateKey) {
  auto signer = Signer::FromFile(Keys().rsa_pkcs1);
  ASSERT_TRUE(signer.ok());
  const std::string sig = *signer->Sign("hello");
  auto from_private = Verifier::FromPrivateKeyPem(ReadText(Keys().rsa_pkcs8));
  auto from_signer = Verifier::FromSigner(*signer);
  ASSERT_TRUE(from_private.ok() && from_signer.ok());
  EXPECT_TRUE(from_private->Verify("hello", sig).ok());
  EXPECT_TRUE(from_signer->Verify("hello", sig).ok());
}

TEST(VerifierTest, BadBase64IsInvalidArgumentWrongSignatureIsUnauthenticated) {
  auto v = Verifier::FromPublicKeyFile(Keys().ed25519_pub);
  ASSERT_TRUE(v.ok());
  for (std::string_view bad : {"not base64!", "abc", "ab=c", "YWJj\n", "===="}) {
    EXPECT_EQ(v->Verify("x", bad).code(), core::StatusCode::kInvalidArgument) << bad;
  }
  // Valid base64 of the wrong length or content.
  const std::string zeros64 = std::string(86, 'A') + "==";  // 64 zero bytes
  for (std::string_view wrong :
       {std::string_view(""), std::string_view("YWJj"), std::string_view(zeros64)}) {
    EXPECT_EQ(v->Verify("x", wrong).code(), core::StatusCode::kUnauthenticated) << wrong;
  }
  auto rsa = Verifier::FromPublicKeyFile(Keys().rsa_pub);
  ASSERT_TRUE(rsa.ok());
  EXPECT_EQ(rsa->Verify("x", "YWJj").code(), core::StatusCode::kUnauthenticated);
}

TEST(VerifierTest, GarbagePublicKeysAreErrors) {
  for (const std::string& pem :
       {std::string(""), std::string("garbage"),
        std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        ReadText(Keys().rsa_pub).substr(0, 100)}) {
    auto v = Verifier::FromPublicKeyPem(pem);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code(), core::StatusCode::kInvalidArgument);
  }
  const auto ec_pub = RunCommand("openssl pkey -in " + Keys().ec_p256.string() + " -pubout");
  ASSERT_EQ(ec_pub.exit_code, 0);
  auto ec = Verifier::FromPublicKeyPem(ec_pub.output);
  ASSERT_FALSE(ec.ok());
  EXPECT_NE(ec.error().message().find("unsupported"), std::string::npos);
  EXPECT_EQ(Verifier::FromPublicKeyFile(Keys().dir / "nope.pem").error().code(),
            core::StatusCode::kNotFound);
}

// ---- timestamps -------------------------------------------------------------------------------

TEST(TimestampTest, ParsesOnlyPlainDigits) {
  EXPECT_EQ(*ParseTimestampHeader("1703123456789"), 1703123456789);
  EXPECT_EQ(*ParseTimestampHeader("0"), 0);
  for (std::string_view bad :
       {"", "-1703123456789", "+1", " 1", "1 ", "1.5", "12a", "1234567890123456789", "0x10"}) {
    auto r = ParseTimestampHeader(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST(TimestampTest, SkewWindowIsInclusiveBothWays) {
  const core::SimulatedClock clock(core::Timestamp::FromMillis(1'703'123'456'789));
  EXPECT_TRUE(CheckTimestampSkew(1'703'123'456'789, clock).ok());
  EXPECT_TRUE(CheckTimestampSkew(1'703'123'456'789 + 5'000, clock).ok());
  EXPECT_TRUE(CheckTimestampSkew(1'703'123'456'789 - 5'000, clock).ok());
  const core::Status ahead = CheckTimestampSkew(1'703'123'456'789 + 5'001, clock);
  EXPECT_EQ(ahead.code(), core::StatusCode::kUnauthenticated);
  EXPECT_NE(ahead.message().find("5001 ms ahead"), std::string::npos) << ahead.message();
  const core::Status behind = CheckTimestampSkew(1'703'123'456'789 - 60'000, clock);
  EXPECT_EQ(behind.code(), core::StatusCode::kUnauthenticated);
  EXPECT_NE(behind.message().find("behind"), std::string::npos);
  EXPECT_TRUE(CheckTimestampSkew(1'703'123'456'789 + 30'000, clock, 30'000).ok());
  EXPECT_EQ(CheckTimestampSkew(1, clock, -1).code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(CheckTimestampSkew(INT64_MAX, clock).ok());
  EXPECT_FALSE(CheckTimestampSkew(INT64_MIN, clock).ok());
}

TEST(VerifyRequestTest, AcceptsOurHeadersAndRejectsReplaysAndTampering) {
  auto signer = Signer::FromFile(Keys().rsa_pkcs8);
  ASSERT_TRUE(signer.ok());
  auto verifier = Verifier::FromSigner(*signer);
  ASSERT_TRUE(verifier.ok());
  core::SimulatedClock clock(core::Timestamp::FromMillis(1'703'123'456'789));
  auto h =
      MakeAuthHeaders("key-1", *signer, clock, "POST", "/trade-api/v2/portfolio/events/orders");
  ASSERT_TRUE(h.ok());

  clock.AdvanceNanos(1'000'000'000);  // the request arrives 1 s later
  // The server sees the path with a query string: still the same signed path.
  EXPECT_TRUE(VerifyRequest(*verifier, clock, h->timestamp_ms, h->signature, "POST",
                            "/trade-api/v2/portfolio/events/orders?x=1")
                  .ok());
  EXPECT_EQ(VerifyRequest(*verifier, clock, h->timestamp_ms, h->signature, "DELETE",
                          "/trade-api/v2/portfolio/events/orders")
                .code(),
            core::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyRequest(*verifier, clock, "0" + h->timestamp_ms, h->signature, "POST",
                          "/trade-api/v2/portfolio/events/orders")
                .code(),
            core::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyRequest(*verifier, clock, "abc", h->signature, "POST", "/x").code(),
            core::StatusCode::kInvalidArgument);
  clock.AdvanceNanos(10'000'000'000);  // replayed 11 s later
  EXPECT_EQ(VerifyRequest(*verifier, clock, h->timestamp_ms, h->signature, "POST",
                          "/trade-api/v2/portfolio/events/orders")
                .code(),
            core::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace kalshiflow::kalshi::auth
