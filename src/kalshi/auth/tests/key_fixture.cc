#include "kalshi/auth/tests/key_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

namespace kalshiflow::kalshi::auth::testing {

namespace fs = std::filesystem;

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  // stdin from /dev/null so that nothing can wait for a passphrase.
  FILE* pipe = ::popen((command + " </dev/null 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

namespace {

void Must(const std::string& command) {
  const CommandResult r = RunCommand(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
}

TestKeys Generate() {
  TestKeys k;
  std::string tmpl = (fs::temp_directory_path() / "kf_auth_test_XXXXXX").string();
  char* dir = ::mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  k.dir = tmpl;
  const auto p = [&](const char* name) { return k.dir / name; };
  k.rsa_pkcs8 = p("rsa_pkcs8.pem");
  k.rsa_pkcs1 = p("rsa_pkcs1.pem");
  k.rsa_pub = p("rsa_pub.pem");
  k.rsa_pub_pkcs1 = p("rsa_pub_pkcs1.pem");
  k.ed25519 = p("ed25519.pem");
  k.ed25519_pub = p("ed25519_pub.pem");
  k.other_rsa = p("other_rsa.pem");
  k.other_rsa_pub = p("other_rsa_pub.pem");
  k.rsa_1024 = p("rsa_1024.pem");
  k.ec_p256 = p("ec_p256.pem");
  k.encrypted = p("encrypted.pem");
  const std::string d = k.dir.string() + "/";
  Must("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "rsa_pkcs8.pem");
  Must("openssl rsa -in " + d + "rsa_pkcs8.pem -traditional -out " + d + "rsa_pkcs1.pem");
  Must("openssl pkey -in " + d + "rsa_pkcs8.pem -pubout -out " + d + "rsa_pub.pem");
  Must("openssl rsa -in " + d + "rsa_pkcs8.pem -RSAPublicKey_out -out " + d + "rsa_pub_pkcs1.pem");
  Must("openssl genpkey -algorithm ed25519 -out " + d + "ed25519.pem");
  Must("openssl pkey -in " + d + "ed25519.pem -pubout -out " + d + "ed25519_pub.pem");
  Must("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "other_rsa.pem");
  Must("openssl pkey -in " + d + "other_rsa.pem -pubout -out " + d + "other_rsa_pub.pem");
  Must("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + d + "rsa_1024.pem");
  Must("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + d + "ec_p256.pem");
  Must("openssl pkey -in " + d + "ed25519.pem -aes256 -passout pass:secret -out " + d +
       "encrypted.pem");
  for (const fs::path& key :
       {k.rsa_pkcs8, k.rsa_pkcs1, k.ed25519, k.other_rsa, k.rsa_1024, k.ec_p256, k.encrypted}) {
    ::chmod(key.c_str(), 0600);
  }
  return k;
}

struct Cleanup {
  fs::path dir;
  ~Cleanup() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

}  // namespace

const TestKeys& Keys() {
  static const TestKeys keys = Generate();
  static const Cleanup cleanup{keys.dir};
  return keys;
}

}  // namespace kalshiflow::kalshi::auth::testing
