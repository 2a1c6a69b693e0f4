#include "kalshi/auth/signer.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>
#include <vector>

#include "kalshi/auth/base64.h"
#include "kalshi/auth/openssl_util.h"

namespace kalshiflow::kalshi::auth {

using internal::DrainOpenSslErrors;
using internal::MdCtxPtr;
using internal::PkeyPtr;

namespace {

constexpr std::size_t kMaxPemBytes = 64 * 1024;

// Refuses to decrypt: an encrypted key must not trigger an interactive passphrase prompt.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

void Signer::KeyDeleter::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Signer::Signer(Signer&& other) noexcept = default;
Signer& Signer::operator=(Signer&& other) noexcept = default;
Signer::~Signer() = default;

core::Result<Signer> Signer::FromPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return core::InvalidArgumentError(fmt::format(
        "private key PEM is {} bytes; a key is under {} bytes", pem.size(), kMaxPemBytes));
  }
  if (pem.find("-----BEGIN ENCRYPTED") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return core::InvalidArgumentError(
        "encrypted private keys are not supported; store the key unencrypted with mode 0600");
  }
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return core::InternalError("BIO_new_mem_buf failed: " + DrainOpenSslErrors());
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return core::InvalidArgumentError(
        "not a PEM private key (expected PKCS#1 'BEGIN RSA PRIVATE KEY' or PKCS#8 'BEGIN "
        "PRIVATE KEY'): " +
        DrainOpenSslErrors());
  }
  KF_ASSIGN_OR_RETURN(const KeyType type, internal::ClassifyKey(key.get()));
  const int bits = EVP_PKEY_get_bits(key.get());
  return Signer(std::unique_ptr<evp_pkey_st, KeyDeleter>(key.release()), type, bits);
}

core::Result<Signer> Signer::FromFile(const std::filesystem::path& path) {
  KF_ASSIGN_OR_RETURN(std::string pem,
                      internal::ReadKeyFile(path, /*require_private_mode=*/true, kMaxPemBytes));
  auto signer = FromPem(pem);
  internal::Cleanse(pem);
  if (!signer.ok()) {
    return core::Status(signer.error().code(),
                        fmt::format("key file {}: {}", path.string(), signer.error().message()));
  }
  return signer;
}

core::Result<std::string> Signer::Sign(std::string_view pre_sign_text) const {
  KF_CHECK(key_ != nullptr, "Sign() on a moved-from Signer");
  ERR_clear_error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return core::InternalError("EVP_MD_CTX_new failed: " + DrainOpenSslErrors());
  EVP_PKEY_CTX* pctx = nullptr;
  if (type_ == KeyType::kRsa) {
    if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
        !internal::SetRsaPss(pctx, RSA_PSS_SALTLEN_DIGEST)) {
      return core::InternalError("RSA-PSS sign setup failed: " + DrainOpenSslErrors());
    }
  } else {
    // Ed25519: PureEdDSA over the raw text, no digest.
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
      return core::InternalError("Ed25519 sign setup failed: " + DrainOpenSslErrors());
    }
  }
  const auto* msg = reinterpret_cast<const unsigned char*>(pre_sign_text.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, msg, pre_sign_text.size()) != 1) {
    return core::InternalError("signature size query failed: " + DrainOpenSslErrors());
  }
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, msg, pre_sign_text.size()) != 1) {
    return core::InternalError("signing failed: " + DrainOpenSslErrors());
  }
  sig.resize(len);
  return Base64Encode(sig);
}

core::Result<Signer> Signer::GenerateEd25519() {
  ERR_clear_error();
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    return core::InternalError("Ed25519 key generation failed: " + DrainOpenSslErrors());
  }
  return Signer(std::unique_ptr<evp_pkey_st, KeyDeleter>(key), KeyType::kEd25519, 256);
}

core::Result<std::string> Signer::PublicKeyPem() const {
  KF_CHECK(key_ != nullptr, "PublicKeyPem() on a moved-from Signer");
  ERR_clear_error();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    return core::InternalError("writing the public key failed: " + DrainOpenSslErrors());
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string BuildPreSignText(int64_t timestamp_ms, std::string_view method, std::string_view path) {
  const std::size_t query = path.find('?');
  if (query != std::string_view::npos) path = path.substr(0, query);
  std::string out = std::to_string(timestamp_ms);
  out.reserve(out.size() + method.size() + path.size());
  for (char c : method) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  out += path;
  return out;
}

core::Result<AuthHeaders> MakeAuthHeaders(std::string_view key_id, const Signer& signer,
                                          const core::Clock& clock, std::string_view method,
                                          std::string_view path) {
  if (key_id.empty()) return core::InvalidArgumentError("API key id is empty");
  for (char c : key_id) {
    if (c < 0x21 || c > 0x7e) {
      return core::InvalidArgumentError(
          "API key id contains a character that is not printable ASCII");
    }
  }
  if (method.empty()) return core::InvalidArgumentError("HTTP method is empty");
  for (char c : method) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return core::InvalidArgumentError(
          fmt::format("HTTP method '{}' is not letters only", method));
    }
  }
  if (path.empty() || path.front() != '/') {
    return core::InvalidArgumentError(fmt::format(
        "path '{}' must be the URL path from the host root, e.g. /trade-api/v2/...", path));
  }
  AuthHeaders headers;
  headers.key_id = std::string(key_id);
  const int64_t now_ms = clock.Now().millis();
  headers.timestamp_ms = std::to_string(now_ms);
  KF_ASSIGN_OR_RETURN(headers.signature, signer.Sign(BuildPreSignText(now_ms, method, path)));
  return headers;
}

}  // namespace kalshiflow::kalshi::auth
