#include "kalshi/auth/verifier.h"

#include <fmt/format.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <vector>

#include "kalshi/auth/base64.h"
#include "kalshi/auth/openssl_util.h"

namespace kalshiflow::kalshi::auth {

using internal::DrainOpenSslErrors;
using internal::MdCtxPtr;
using internal::PkeyPtr;

namespace {

constexpr std::size_t kMaxPemBytes = 64 * 1024;

struct DecoderDeleter {
  void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};

}  // namespace

void Verifier::KeyDeleter::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Verifier::Verifier(Verifier&& other) noexcept = default;
Verifier& Verifier::operator=(Verifier&& other) noexcept = default;
Verifier::~Verifier() = default;

core::Result<Verifier> Verifier::FromPublicKeyPem(std::string_view pem, VerifierOptions options) {
  if (pem.size() > kMaxPemBytes) {
    return core::InvalidArgumentError(fmt::format("public key PEM is {} bytes", pem.size()));
  }
  ERR_clear_error();
  EVP_PKEY* raw = nullptr;
  // Accepts SubjectPublicKeyInfo and type-specific (PKCS#1 RSA PUBLIC KEY) PEM.
  std::unique_ptr<OSSL_DECODER_CTX, DecoderDeleter> dctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!dctx) return core::InternalError("OSSL_DECODER_CTX_new_for_pkey: " + DrainOpenSslErrors());
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1 || raw == nullptr) {
    EVP_PKEY_free(raw);
    return core::InvalidArgumentError(
        "not a PEM public key (expected 'BEGIN PUBLIC KEY' or 'BEGIN RSA PUBLIC KEY'): " +
        DrainOpenSslErrors());
  }
  PkeyPtr key(raw);
  KF_ASSIGN_OR_RETURN(const KeyType type, internal::ClassifyKey(key.get()));
  return Verifier(std::unique_ptr<evp_pkey_st, KeyDeleter>(key.release()), type, options);
}

core::Result<Verifier> Verifier::FromSigner(const Signer& signer, VerifierOptions options) {
  KF_ASSIGN_OR_RETURN(const std::string pem, signer.PublicKeyPem());
  return FromPublicKeyPem(pem, options);
}

core::Result<Verifier> Verifier::FromPrivateKeyPem(std::string_view pem, VerifierOptions options) {
  KF_ASSIGN_OR_RETURN(const Signer signer, Signer::FromPem(pem));
  return FromSigner(signer, options);
}

core::Result<Verifier> Verifier::FromPublicKeyFile(const std::filesystem::path& path,
                                                   VerifierOptions options) {
  KF_ASSIGN_OR_RETURN(const std::string pem,
                      internal::ReadKeyFile(path, /*require_private_mode=*/false, kMaxPemBytes));
  auto verifier = FromPublicKeyPem(pem, options);
  if (!verifier.ok()) {
    return core::Status(verifier.error().code(),
                        fmt::format("key file {}: {}", path.string(), verifier.error().message()));
  }
  return verifier;
}

core::Status Verifier::Verify(std::string_view pre_sign_text,
                              std::string_view base64_signature) const {
  KF_CHECK(key_ != nullptr, "Verify() on a moved-from Verifier");
  auto sig = Base64Decode(base64_signature);
  if (!sig.ok()) {
    return core::InvalidArgumentError("signature is not valid base64: " + sig.error().message());
  }
  ERR_clear_error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return core::InternalError("EVP_MD_CTX_new failed: " + DrainOpenSslErrors());
  if (type_ == KeyType::kRsa) {
    EVP_PKEY_CTX* pctx = nullptr;
    const int salt =
        options_.pss_salt == PssSaltPolicy::kAuto ? RSA_PSS_SALTLEN_AUTO : RSA_PSS_SALTLEN_DIGEST;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
        !internal::SetRsaPss(pctx, salt)) {
      return core::InternalError("RSA-PSS verify setup failed: " + DrainOpenSslErrors());
    }
  } else if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return core::InternalError("Ed25519 verify setup failed: " + DrainOpenSslErrors());
  }
  const int rc = EVP_DigestVerify(ctx.get(), sig->data(), sig->size(),
                                  reinterpret_cast<const unsigned char*>(pre_sign_text.data()),
                                  pre_sign_text.size());
  ERR_clear_error();  // a mismatch leaves reasons on the queue; they say nothing more useful
  if (rc != 1) {
    return core::UnauthenticatedError(fmt::format(
        "INCORRECT_API_KEY_SIGNATURE: {} signature does not verify for pre-sign text '{}'",
        KeyTypeName(type_), pre_sign_text));
  }
  return core::Status::Ok();
}

core::Result<int64_t> ParseTimestampHeader(std::string_view value) {
  if (value.empty() || value.size() > 18) {
    return core::InvalidArgumentError(
        fmt::format("KALSHI-ACCESS-TIMESTAMP '{}' is not 1-18 digits of Unix ms", value));
  }
  int64_t ms = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return core::InvalidArgumentError(
          fmt::format("KALSHI-ACCESS-TIMESTAMP '{}' is not decimal Unix ms", value));
    }
    ms = ms * 10 + (c - '0');
  }
  return ms;
}

core::Status CheckTimestampSkew(int64_t timestamp_ms, const core::Clock& clock, int64_t window_ms) {
  if (window_ms < 0) return core::InvalidArgumentError("skew window must be >= 0");
  const int64_t now_ms = clock.Now().millis();
  // Both are realistic epoch ms (< 2^62), so the difference cannot overflow; guard anyway.
  if (timestamp_ms < -(int64_t{1} << 62) || timestamp_ms > (int64_t{1} << 62)) {
    return core::UnauthenticatedError(fmt::format("timestamp {} ms is out of range", timestamp_ms));
  }
  const int64_t diff = timestamp_ms - now_ms;
  if (diff > window_ms || diff < -window_ms) {
    return core::UnauthenticatedError(
        fmt::format("request timestamp {} is {} ms {} server time {} (window ±{} ms)", timestamp_ms,
                    diff > 0 ? diff : -diff, diff > 0 ? "ahead of" : "behind", now_ms, window_ms));
  }
  return core::Status::Ok();
}

core::Status VerifyRequest(const Verifier& verifier, const core::Clock& clock,
                           std::string_view timestamp_header, std::string_view signature_header,
                           std::string_view method, std::string_view path, int64_t window_ms) {
  KF_ASSIGN_OR_RETURN(const int64_t ts, ParseTimestampHeader(timestamp_header));
  KF_RETURN_IF_ERROR(CheckTimestampSkew(ts, clock, window_ms));
  // Sign over the header's exact digits: "0001703123456789" must not verify as 1703123456789.
  std::string pre_sign = std::string(timestamp_header);
  pre_sign += BuildPreSignText(0, method, path).substr(1);
  return verifier.Verify(pre_sign, signature_header);
}

}  // namespace kalshiflow::kalshi::auth
