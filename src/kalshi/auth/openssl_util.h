// Internal helpers shared by signer.cc and verifier.cc (not part of the public API).
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "kalshi/auth/signer.h"

namespace kalshiflow::kalshi::auth::internal {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

/// Drains this thread's OpenSSL error queue into "reason; reason" (never contains key bytes).
std::string DrainOpenSslErrors();

/// RSA (>= kMinRsaBits) or Ed25519, else InvalidArgument naming what the key is.
core::Result<KeyType> ClassifyKey(EVP_PKEY* key);

/// Sets RSA-PSS / SHA-256 / MGF1-SHA256 with `salt_len` (e.g. RSA_PSS_SALTLEN_DIGEST) on a
/// digest sign/verify context. Returns false on failure.
bool SetRsaPss(EVP_PKEY_CTX* pctx, int salt_len);

/// Reads a whole file of at most `max_bytes` through one descriptor. When
/// `require_private_mode` is set, refuses (PermissionDenied) a file with group/other bits,
/// checked with fstat on the same descriptor that is read.
core::Result<std::string> ReadKeyFile(const std::filesystem::path& path, bool require_private_mode,
                                      std::size_t max_bytes);

/// Overwrites a buffer that held key material.
void Cleanse(std::string& buffer);

}  // namespace kalshiflow::kalshi::auth::internal
