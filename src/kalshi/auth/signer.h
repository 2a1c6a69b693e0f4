// Kalshi request signing: private key loading, the pre-sign text and the three auth headers.
//
// Source: PROTOCOL.md §1.1 (headers), §1.2 (the signed string), §1.3 (RSA-PSS SHA-256,
// MGF1-SHA256, salt = 32; Ed25519 PureEdDSA), §1.4 (WebSocket handshake: GET
// /trade-api/ws/v2); notes/cpp-stack.md §4 (OpenSSL 3 recipe). DESIGN.md §11: keys are never
// logged and key files must not be readable by group or others.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "core/time.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; kept out of this header.

namespace kalshiflow::kalshi::auth {

/// The API key algorithms Kalshi supports (`ApiKeyType`: `rsa` | `ed25519`).
enum class KeyType { kRsa, kEd25519 };
/// "rsa" / "ed25519".
std::string_view KeyTypeName(KeyType type);

/// Smallest RSA modulus accepted for signing or verifying (Kalshi issues 2048-bit keys).
inline constexpr int kMinRsaBits = 2048;

/// Header names (PROTOCOL.md §1.1).
inline constexpr std::string_view kAccessKeyHeader = "KALSHI-ACCESS-KEY";
inline constexpr std::string_view kAccessTimestampHeader = "KALSHI-ACCESS-TIMESTAMP";
inline constexpr std::string_view kAccessSignatureHeader = "KALSHI-ACCESS-SIGNATURE";

/// Checks that a private key file is a regular file with no permission bits for group or
/// others (mode 0600 or 0400). PermissionDenied naming the path and its octal mode (e.g.
/// "0644") otherwise; NotFound if it does not exist. Follows symlinks (checks the target).
core::Status CheckKeyFilePermissions(const std::filesystem::path& path);

/// Signs Kalshi pre-sign texts with one private key. RSA keys sign with RSA-PSS, SHA-256,
/// MGF1-SHA256 and a 32-byte salt (randomized: two signatures of one text differ); Ed25519
/// keys sign the raw text (PureEdDSA, deterministic).
///
/// The key never leaves this object: there is no accessor, ToString or operator<< for it,
/// and error messages never contain key bytes or PEM text.
///
/// Move-only. Sign() is const and thread-safe (each call uses its own OpenSSL context).
class Signer {
 public:
  /// Parses a PEM private key: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, what Kalshi issues
  /// for RSA) or PKCS#8 (`-----BEGIN PRIVATE KEY-----`, RSA or Ed25519). Encrypted keys are
  /// refused (no passphrase prompt). InvalidArgument when the text is not such a key, the
  /// algorithm is neither RSA nor Ed25519, or an RSA key has fewer than kMinRsaBits bits.
  static core::Result<Signer> FromPem(std::string_view pem);

  /// Reads and parses a PEM private key file after checking its permissions (see
  /// CheckKeyFilePermissions; the check is done on the opened file). Errors: NotFound,
  /// PermissionDenied (path and mode), InvalidArgument (as FromPem, naming the path),
  /// DataLoss (read failure or a file over 64 KiB).
  static core::Result<Signer> FromFile(const std::filesystem::path& path);

  /// Generates a fresh Ed25519 key (for throwaway local use: the demo's key for the local
  /// exchange; Kalshi issues real keys). Internal if OpenSSL fails.
  static core::Result<Signer> GenerateEd25519();

  Signer(Signer&& other) noexcept;
  Signer& operator=(Signer&& other) noexcept;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;
  ~Signer();

  KeyType key_type() const { return type_; }
  /// RSA modulus bits, or 256 for Ed25519 (informational).
  int key_bits() const { return bits_; }

  /// Signs `pre_sign_text` (see BuildPreSignText) and returns standard base64 with padding
  /// and no line breaks (344 characters for RSA-2048, 88 for Ed25519). Internal if OpenSSL
  /// fails (not expected for a loaded key).
  core::Result<std::string> Sign(std::string_view pre_sign_text) const;

  /// The matching public key as PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
  /// Public information: safe to log or hand to a Verifier / the local exchange.
  core::Result<std::string> PublicKeyPem() const;

 private:
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  Signer(std::unique_ptr<evp_pkey_st, KeyDeleter> key, KeyType type, int bits)
      : key_(std::move(key)), type_(type), bits_(bits) {}

  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
  KeyType type_ = KeyType::kRsa;
  int bits_ = 0;
};

/// The string Kalshi signs (PROTOCOL.md §1.2): decimal `timestamp_ms` + `method` in upper
/// case + `path` with the query string (from the first '?') removed. `path` is the URL path
/// from the host root including `/trade-api/v2` (or `/trade-api/ws/v2` for the WebSocket);
/// no host, no body. Example: (1703123456789, "get", "/trade-api/v2/portfolio/orders?limit=5")
/// -> "1703123456789GET/trade-api/v2/portfolio/orders".
std::string BuildPreSignText(int64_t timestamp_ms, std::string_view method, std::string_view path);

/// The three authentication headers of one request (PROTOCOL.md §1.1).
struct AuthHeaders {
  std::string key_id;        // KALSHI-ACCESS-KEY: the API key id (a UUID; not secret)
  std::string timestamp_ms;  // KALSHI-ACCESS-TIMESTAMP: Unix ms, decimal (13 digits today)
  std::string signature;     // KALSHI-ACCESS-SIGNATURE: base64 signature of the pre-sign text

  /// (name, value) pairs in the order above, for an HTTP client. Views into this object.
  std::array<std::pair<std::string_view, std::string_view>, 3> List() const {
    return {{{kAccessKeyHeader, key_id},
             {kAccessTimestampHeader, timestamp_ms},
             {kAccessSignatureHeader, signature}}};
  }
};

/// Signs (clock.Now() in ms, method, path) with `signer` and returns the three headers.
/// Call immediately before sending. InvalidArgument when `key_id` is empty or contains
/// characters other than printable ASCII (header injection), or `method` is empty; Internal if
/// signing fails.
core::Result<AuthHeaders> MakeAuthHeaders(std::string_view key_id, const Signer& signer,
                                          const core::Clock& clock, std::string_view method,
                                          std::string_view path);

}  // namespace kalshiflow::kalshi::auth
