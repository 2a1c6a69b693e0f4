// Test keys generated at test time with the openssl command-line tool, in a private temp dir.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace kalshiflow::kalshi::auth::testing {

/// Output and exit status of a shell command (stderr merged into stdout).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

std::string ReadText(const std::filesystem::path& path);
void WriteText(const std::filesystem::path& path, std::string_view text);

/// Paths of the generated keys (all private keys chmod 0600).
struct TestKeys {
  std::filesystem::path dir;
  std::filesystem::path rsa_pkcs8;      // BEGIN PRIVATE KEY (RSA 2048)
  std::filesystem::path rsa_pkcs1;      // BEGIN RSA PRIVATE KEY, same key
  std::filesystem::path rsa_pub;        // BEGIN PUBLIC KEY (SPKI)
  std::filesystem::path rsa_pub_pkcs1;  // BEGIN RSA PUBLIC KEY
  std::filesystem::path ed25519;        // BEGIN PRIVATE KEY (Ed25519)
  std::filesystem::path ed25519_pub;
  std::filesystem::path other_rsa;  // a different RSA key
  std::filesystem::path other_rsa_pub;
  std::filesystem::path rsa_1024;   // too small
  std::filesystem::path ec_p256;    // unsupported algorithm
  std::filesystem::path encrypted;  // PKCS#8 encrypted Ed25519
};

/// Generates the keys once per process (slow part: RSA key generation). Fails the current
/// test if the openssl tool is missing or fails.
const TestKeys& Keys();

}  // namespace kalshiflow::kalshi::auth::testing
