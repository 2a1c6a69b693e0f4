// Verification of Kalshi request signatures, for the local Kalshi-compatible exchange (and
// for tests of our own signer).
//
// Source: PROTOCOL.md §1.2 (pre-sign text), §1.3 (RSA-PSS SHA-256 / MGF1-SHA256 / salt 32,
// Ed25519; "A simulator must verify; it cannot compare strings"; "The simulator should verify
// with salt length 32 (or auto)"), §1.4 ("The accepted timestamp skew window is not
// documented"; the 401 body Kalshi sends on a bad signature).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "kalshi/auth/signer.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; kept out of this header.

namespace kalshiflow::kalshi::auth {

/// Which RSA-PSS salt lengths a Verifier accepts.
enum class PssSaltPolicy {
  kDigestLength,  // exactly 32 bytes, as Kalshi documents and its SDKs sign (default)
  kAuto,          // any salt length recovered from the signature (RSA_PSS_SALTLEN_AUTO)
};

struct VerifierOptions {
  PssSaltPolicy pss_salt = PssSaltPolicy::kDigestLength;
};

/// Verifies signatures made with one public key (RSA >= kMinRsaBits, or Ed25519). Move-only;
/// Verify() is const and thread-safe.
class Verifier {
 public:
  /// From PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, what Kalshi and
  /// `openssl pkey -pubout` produce) or PKCS#1 `-----BEGIN RSA PUBLIC KEY-----`.
  /// InvalidArgument when the text is not such a key or the algorithm is unsupported.
  static core::Result<Verifier> FromPublicKeyPem(std::string_view pem,
                                                 VerifierOptions options = {});
  /// Derives the public key from a PEM private key (same formats as Signer::FromPem).
  static core::Result<Verifier> FromPrivateKeyPem(std::string_view pem,
                                                  VerifierOptions options = {});
  /// The public half of `signer`'s key.
  static core::Result<Verifier> FromSigner(const Signer& signer, VerifierOptions options = {});
  /// Reads a public key PEM file (no permission requirement: public keys are not secret).
  static core::Result<Verifier> FromPublicKeyFile(const std::filesystem::path& path,
                                                  VerifierOptions options = {});

  Verifier(Verifier&& other) noexcept;
  Verifier& operator=(Verifier&& other) noexcept;
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;
  ~Verifier();

  KeyType key_type() const { return type_; }
  const VerifierOptions& options() const { return options_; }

  /// Checks `base64_signature` (standard, padded base64) over `pre_sign_text`.
  /// Ok on a match; InvalidArgument when the signature is not valid base64; Unauthenticated
  /// (naming the pre-sign text, which is not secret) when it does not verify.
  core::Status Verify(std::string_view pre_sign_text, std::string_view base64_signature) const;

 private:
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  Verifier(std::unique_ptr<evp_pkey_st, KeyDeleter> key, KeyType type, VerifierOptions options)
      : key_(std::move(key)), type_(type), options_(options) {}

  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
  KeyType type_ = KeyType::kRsa;
  VerifierOptions options_;
};

/// Default accepted clock skew between a request's KALSHI-ACCESS-TIMESTAMP and our clock
/// (Kalshi's real window is undocumented, PROTOCOL.md §1.4).
inline constexpr int64_t kDefaultSkewWindowMs = 5'000;

/// Parses a KALSHI-ACCESS-TIMESTAMP value: 1 to 18 ASCII digits (Unix ms). InvalidArgument
/// otherwise (signs, spaces, decimals, overflow).
core::Result<int64_t> ParseTimestampHeader(std::string_view value);

/// Ok when |timestamp_ms - clock.Now() in ms| <= window_ms; Unauthenticated naming the
/// difference and the window otherwise. InvalidArgument if window_ms < 0.
core::Status CheckTimestampSkew(int64_t timestamp_ms, const core::Clock& clock,
                                int64_t window_ms = kDefaultSkewWindowMs);

/// Server-side check of one request's headers (the inverse of MakeAuthHeaders): parses the
/// timestamp header, checks the skew, rebuilds the pre-sign text from `method` and `path`
/// (query stripped) and verifies the signature. The key id lookup is the caller's job.
/// Errors: InvalidArgument (malformed timestamp / base64), Unauthenticated (skew or mismatch).
core::Status VerifyRequest(const Verifier& verifier, const core::Clock& clock,
                           std::string_view timestamp_header, std::string_view signature_header,
                           std::string_view method, std::string_view path,
                           int64_t window_ms = kDefaultSkewWindowMs);

}  // namespace kalshiflow::kalshi::auth
