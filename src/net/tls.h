// TLS settings shared by the WebSocket and HTTPS clients (and the local exchange's server
// side), plus a self-signed certificate generator for loopback use.
#pragma once

#include <string>

#include "core/status.h"

namespace kalshiflow::net {

/// Client-side TLS. By default the peer is verified against the system trust store with SNI
/// and host-name verification (what talking to Kalshi needs).
struct TlsClientOptions {
  bool verify_peer = true;
  /// Extra trusted certificate(s), PEM text (e.g. the local exchange's self-signed
  /// certificate). When set, it is trusted in addition to the system store.
  std::string ca_pem;
  /// Same, from a file.
  std::string ca_file;
};

/// A certificate and its private key, both PEM.
struct CertificateAndKey {
  std::string certificate_pem;
  std::string private_key_pem;  // never logged
};

/// Generates a self-signed certificate (EC P-256, SHA-256, valid `days` days from now) for
/// CN=localhost with subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1. Internal on an
/// OpenSSL failure.
core::Result<CertificateAndKey> GenerateSelfSignedCertificate(int days = 30);

}  // namespace kalshiflow::net
