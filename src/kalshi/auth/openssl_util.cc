#include "kalshi/auth/openssl_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kalshiflow::kalshi::auth::internal {

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL detail" : out;
}

core::Result<KeyType> ClassifyKey(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits) {
      return core::InvalidArgumentError(
          fmt::format("RSA key has {} bits; at least {} are required", bits, kMinRsaBits));
    }
    return KeyType::kRsa;
  }
  if (id == EVP_PKEY_ED25519) return KeyType::kEd25519;
  const char* name = OBJ_nid2sn(id);
  return core::InvalidArgumentError(
      fmt::format("unsupported key algorithm '{}' (Kalshi keys are RSA or Ed25519)",
                  name != nullptr ? name : "unknown"));
}

bool SetRsaPss(EVP_PKEY_CTX* pctx, int salt_len) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

namespace {

std::string ModeText(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

core::Status CheckMode(const std::filesystem::path& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return core::PermissionDeniedError(
        fmt::format("key file {} is not a regular file", path.string()));
  }
  if ((st.st_mode & 077) != 0) {
    return core::PermissionDeniedError(fmt::format(
        "key file {} has mode {}; private keys must not be accessible by group or others "
        "(chmod 600 {})",
        path.string(), ModeText(st.st_mode), path.string()));
  }
  return core::Status::Ok();
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

core::Result<std::string> ReadKeyFile(const std::filesystem::path& path, bool require_private_mode,
                                      std::size_t max_bytes) {
  Fd file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (file.fd < 0) {
    const int err = errno;
    const std::string msg =
        fmt::format("cannot open key file {}: {}", path.string(), std::strerror(err));
    if (err == ENOENT) return core::NotFoundError(msg);
    if (err == EACCES) return core::PermissionDeniedError(msg);
    return core::UnavailableError(msg);
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    return core::DataLossError(fmt::format("cannot stat key file {}", path.string()));
  }
  if (require_private_mode) {
    KF_RETURN_IF_ERROR(CheckMode(path, st));
  } else if (!S_ISREG(st.st_mode)) {
    return core::InvalidArgumentError(
        fmt::format("key file {} is not a regular file", path.string()));
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return core::DataLossError(fmt::format("key file {} is {} bytes; a PEM key is under {} bytes",
                                           path.string(), st.st_size, max_bytes));
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(file.fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Cleanse(data);
      return core::DataLossError(fmt::format("cannot read key file {}", path.string()));
    }
    done += static_cast<std::size_t>(n);
  }
  return data;
}

void Cleanse(std::string& buffer) {
  if (!buffer.empty()) OPENSSL_cleanse(buffer.data(), buffer.size());
  buffer.clear();
}

}  // namespace kalshiflow::kalshi::auth::internal

namespace kalshiflow::kalshi::auth {

core::Status CheckKeyFilePermissions(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    const std::string msg =
        fmt::format("cannot stat key file {}: {}", path.string(), std::strerror(err));
    return err == ENOENT ? core::NotFoundError(msg) : core::PermissionDeniedError(msg);
  }
  return internal::CheckMode(path, st);
}

}  // namespace kalshiflow::kalshi::auth
