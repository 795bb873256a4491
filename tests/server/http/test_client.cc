#include "tests/server/http/test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokend::http::testing {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::Status SslError(absl::string_view what) {
  char buffer[256] = "";
  unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, buffer, sizeof(buffer));
  ERR_clear_error();
  return absl::UnavailableError(absl::StrCat(what, ": ", buffer));
}

absl::StatusOr<int> ConnectTcp(int port, absl::Duration read_timeout,
                               uint32_t source = INADDR_ANY) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Errno("socket");
  if (source != INADDR_ANY) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(source);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      absl::Status status = Errno("bind");
      close(fd);
      return status;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    absl::Status status = Errno("connect");
    close(fd);
    return status;
  }
  timeval tv = absl::ToTimeval(read_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool AddPemCertificates(X509_STORE* store, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  bool any = false;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    any = X509_STORE_add_cert(store, cert) == 1 || any;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();
  return any;
}

}  // namespace

const std::string* ParsedResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

int ParsedResponse::CountHeader(absl::string_view name) const {
  int count = 0;
  for (const auto& [key, value] : headers) count += key == name;
  return count;
}

struct TestConnection::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
};

TestConnection::TestConnection(int fd, std::unique_ptr<Tls> tls)
    : fd_(fd), tls_(std::move(tls)) {}

TestConnection::~TestConnection() {
  tls_.reset();
  close(fd_);
}

absl::StatusOr<std::unique_ptr<TestConnection>> TestConnection::Connect(
    int port, absl::Duration read_timeout) {
  return ConnectFrom(INADDR_LOOPBACK, port, read_timeout);
}

absl::StatusOr<std::unique_ptr<TestConnection>> TestConnection::ConnectFrom(
    uint32_t source, int port, absl::Duration read_timeout) {
  absl::StatusOr<int> fd = ConnectTcp(port, read_timeout, source);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<TestConnection>(new TestConnection(*fd, nullptr));
}

absl::StatusOr<std::unique_ptr<TestConnection>> TestConnection::ConnectTls(
    int port, const TlsClientOptions& options, absl::Duration read_timeout) {
  absl::StatusOr<int> fd = ConnectTcp(port, read_timeout);
  if (!fd.ok()) return fd.status();
  auto tls = std::make_unique<Tls>();
  std::unique_ptr<TestConnection> connection(new TestConnection(*fd, nullptr));
  tls->ctx = SSL_CTX_new(TLS_client_method());
  if (tls->ctx == nullptr) return SslError("SSL_CTX_new");
  if (!AddPemCertificates(SSL_CTX_get_cert_store(tls->ctx), options.ca_pem)) {
    return absl::InvalidArgumentError("no CA certificate");
  }
  SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, nullptr);
  if (options.max_version != 0) {
    if (options.max_version < TLS1_2_VERSION) {
      SSL_CTX_set_security_level(tls->ctx, 0);
      SSL_CTX_set_min_proto_version(tls->ctx, 0);
    }
    SSL_CTX_set_max_proto_version(tls->ctx, options.max_version);
  }
  if (!options.cipher_list.empty() &&
      SSL_CTX_set_cipher_list(tls->ctx, options.cipher_list.c_str()) != 1) {
    return SslError("SSL_CTX_set_cipher_list");
  }
  if (!options.cert_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.cert_pem.data(),
                               static_cast<int>(options.cert_pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    bio = BIO_new_mem_buf(options.key_pem.data(),
                          static_cast<int>(options.key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    const bool ok = cert != nullptr && key != nullptr &&
                    SSL_CTX_use_certificate(tls->ctx, cert) == 1 &&
                    SSL_CTX_use_PrivateKey(tls->ctx, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) return SslError("client certificate");
  }
  tls->ssl = SSL_new(tls->ctx);
  if (tls->ssl == nullptr) return SslError("SSL_new");
  // Verify the server certificate's IP SAN.
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls->ssl), "127.0.0.1");
  SSL_set_fd(tls->ssl, connection->fd_);
  if (SSL_connect(tls->ssl) != 1) return SslError("SSL_connect");
  connection->tls_ = std::move(tls);
  return connection;
}

absl::Status TestConnection::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n;
    if (tls_) {
      n = SSL_write(tls_->ssl, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return SslError("SSL_write");
    } else {
      n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) return Errno("send");
    }
    bytes.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TestConnection::ReadSome(char* data, size_t size) {
  if (tls_) {
    int n = SSL_read(tls_->ssl, data, static_cast<int>(size));
    if (n > 0) return n;
    const int error = SSL_get_error(tls_->ssl, n);
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    if (error == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET)) {
      ERR_clear_error();
      return 0;  // TCP closed without close_notify.
    }
    return SslError(absl::StrCat("SSL_read (error ", error, ")"));
  }
  ssize_t n = recv(fd_, data, size, 0);
  if (n >= 0) return n;
  if (errno == ECONNRESET) return 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    return absl::DeadlineExceededError("read timed out");
  }
  return Errno("recv");
}

absl::Status TestConnection::Fill() {
  char buffer[16384];
  absl::StatusOr<size_t> n = ReadSome(buffer, sizeof(buffer));
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AbortedError("connection closed");
  pending_.append(buffer, *n);
  return absl::OkStatus();
}

absl::StatusOr<ParsedResponse> TestConnection::ReadResponse(bool head_request) {
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (absl::Status status = Fill(); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat(status.message(),
                                                      " before a response "
                                                      "head; got: ",
                                                      pending_));
    }
  }
  std::string head = pending_.substr(0, end);
  pending_.erase(0, end + 4);
  std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
  ParsedResponse response;
  // "HTTP/1.1 200 OK"
  std::vector<std::string> status_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || status_line[0] != "HTTP/1.1" ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::InternalError(absl::StrCat("bad status line: ", lines[0]));
  }
  if (status_line.size() == 3) response.reason = status_line[2];
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) {
      return absl::InternalError(absl::StrCat("bad header: ", lines[i]));
    }
    response.headers.emplace_back(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(
            absl::string_view(lines[i]).substr(colon + 1))));
  }
  if (response.status / 100 == 1 || response.status == 204 ||
      response.status == 304 || head_request) {
    return response;
  }
  const std::string* length = response.Header("content-length");
  if (length == nullptr) {
    return absl::InternalError("response without Content-Length");
  }
  size_t size;
  if (!absl::SimpleAtoi(*length, &size)) {
    return absl::InternalError(absl::StrCat("bad Content-Length ", *length));
  }
  while (pending_.size() < size) {
    if (absl::Status status = Fill(); !status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), " in a body"));
    }
  }
  response.body = pending_.substr(0, size);
  pending_.erase(0, size);
  return response;
}

absl::Status TestConnection::ExpectClosed() {
  if (!pending_.empty()) {
    return absl::InternalError(absl::StrCat("unread bytes: ", pending_));
  }
  absl::Status status = Fill();
  if (absl::IsAborted(status)) return absl::OkStatus();  // EOF
  if (status.ok()) {
    return absl::InternalError(absl::StrCat("received: ", pending_));
  }
  return status;
}

absl::StatusOr<std::string> TestConnection::ReadUntilClose() {
  for (;;) {
    absl::Status status = Fill();
    if (absl::IsAborted(status)) break;
    if (!status.ok()) return status;
  }
  return std::exchange(pending_, std::string());
}

void TestConnection::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

int TestConnection::local_port() const {
  sockaddr_in address{};
  socklen_t size = sizeof(address);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::string> RunCurl(const std::string& args) {
  const std::string command =
      absl::StrCat("/usr/bin/curl -s --noproxy '*' ", args);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Errno("popen");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat("curl exited with ", status, ": ", command));
  }
  return out;
}

}  // namespace tokend::http::testing
