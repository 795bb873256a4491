// A deliberately small, blocking HTTP/1.1 client for testing HttpServer over
// real sockets: it sends exactly the bytes a test writes (so tests can send
// malformed, pipelined or stalled requests) and parses responses strictly
// enough to catch framing bugs. Plaintext or TLS (OpenSSL's SSL_* directly).
// Every read has a timeout, so a server that hangs fails a test instead of
// hanging it.
#ifndef TOKEND_TESTS_SERVER_HTTP_TEST_CLIENT_H_
#define TOKEND_TESTS_SERVER_HTTP_TEST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::http::testing {

struct ParsedResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // Lowercased.
  std::string body;

  // First value of `name` (lowercase), or null.
  const std::string* Header(absl::string_view name) const;
  int CountHeader(absl::string_view name) const;
};

struct TlsClientOptions {
  std::string ca_pem;  // Trusted roots; the server must chain to one.
  // Optional client certificate for mTLS.
  std::string cert_pem;
  std::string key_pem;
  // Highest protocol version offered (e.g. TLS1_1_VERSION), 0 for default.
  // Below TLS 1.2 the client also drops to security level 0, so that it is
  // the server that refuses.
  int max_version = 0;
  // TLS 1.2 cipher suites offered (OpenSSL's list syntax), "" for default.
  std::string cipher_list;
};

class TestConnection {
 public:
  static absl::StatusOr<std::unique_ptr<TestConnection>> Connect(
      int port, absl::Duration read_timeout = absl::Seconds(5));
  // From the loopback address `source` (host order, e.g. 0x7f000002 for
  // 127.0.0.2: Linux routes all of 127/8 to lo), to 127.0.0.1:port.
  static absl::StatusOr<std::unique_ptr<TestConnection>> ConnectFrom(
      uint32_t source, int port,
      absl::Duration read_timeout = absl::Seconds(5));
  // Connects and completes a TLS handshake, verifying the server as
  // 127.0.0.1. With TLS 1.3 a server that rejects our certificate does so
  // after this returns: the failure then shows on the first read.
  static absl::StatusOr<std::unique_ptr<TestConnection>> ConnectTls(
      int port, const TlsClientOptions& tls,
      absl::Duration read_timeout = absl::Seconds(5));

  ~TestConnection();

  absl::Status Send(absl::string_view bytes);

  // Reads one response (a 1xx included, without a body). `head_request`:
  // the body is not expected even with a Content-Length.
  absl::StatusOr<ParsedResponse> ReadResponse(bool head_request = false);

  // OK when the server closes the connection (EOF or reset) within the read
  // timeout without sending anything more; what arrived otherwise is named
  // in the error.
  absl::Status ExpectClosed();

  // Everything until the server closes (for responses without framing).
  absl::StatusOr<std::string> ReadUntilClose();

  void ShutdownWrite();
  int local_port() const;

 private:
  struct Tls;
  TestConnection(int fd, std::unique_ptr<Tls> tls);
  // >0 bytes, 0 on EOF, error on timeout or failure.
  absl::StatusOr<size_t> ReadSome(char* data, size_t size);
  absl::Status Fill();  // Appends at least one byte to pending_ or fails.

  int fd_;
  std::unique_ptr<Tls> tls_;
  std::string pending_;  // Received, not yet consumed.
};

// Runs /usr/bin/curl with `args` (plus -s and --noproxy '*') and returns its
// standard output; the exit status must be 0.
absl::StatusOr<std::string> RunCurl(const std::string& args);

}  // namespace tokend::http::testing

#endif  // TOKEND_TESTS_SERVER_HTTP_TEST_CLIENT_H_
