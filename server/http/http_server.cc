#include "server/http/http_server.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/common/status_macros.h"
#include "server/http/h2_connection.h"
#include "server/http/http_connection.h"
#include "server/http/listen_address.h"
#include "server/http/proxy_protocol.h"
#include "server/http/request_id.h"
#include "server/http/responder.h"
#include "server/http/response_head.h"
#include "server/http/server_error.h"
#include "server/http/tls_context.h"

namespace tokend::http {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

constexpr absl::Duration kDestructorGrace = absl::Seconds(1);
// After the grace period, how long closing the leftovers may take. Bounded
// because a handler blocking an io thread would otherwise hold us forever.
constexpr absl::Duration kForceCloseWait = absl::Seconds(1);
// Pause before accepting again after accept() failed (EMFILE and the like),
// so a full fd table does not turn into a busy loop.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
// A PROXY header that arrived in part is looked at again this often.
constexpr auto kProxyHeaderRetry = std::chrono::milliseconds(5);

absl::Status ValidateOptions(const HttpServerOptions& options) {
  if (options.threads < 1 || options.threads > 1024) {
    return absl::InvalidArgumentError("threads must be in 1..1024");
  }
  if (options.max_header_bytes < 64) {
    return absl::InvalidArgumentError("max_header_bytes must be at least 64");
  }
  if (options.read_timeout <= absl::ZeroDuration() ||
      options.idle_timeout <= absl::ZeroDuration() ||
      options.write_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  if (options.first_byte_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("first_byte_timeout must be positive");
  }
  if (options.max_connections_per_address < 1) {
    return absl::InvalidArgumentError(
        "max_connections_per_address must be positive");
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections must be positive");
  }
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_pem and tls_key_pem go together");
  }
  if (!options.tls_client_ca_pem.empty() && options.tls_cert_pem.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_ca_pem needs tls_cert_pem and tls_key_pem");
  }
  return absl::OkStatus();
}

std::string PeerString(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  if (address.is_v6()) {
    return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  }
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

}  // namespace

class HttpServer::Impl final : public internal::ConnectionHost {
 public:
  Impl(HttpServerOptions options, HttpHandler* handler, H2Handler* h2_handler)
      : options_(std::move(options)),
        handler_(handler),
        h2_handler_(h2_handler),
        gate_(std::make_shared<internal::ResponderGate>()),
        io_(options_.threads),
        work_(net::make_work_guard(io_)),
        acceptor_(net::make_strand(io_)),
        accept_retry_(acceptor_.get_executor()) {}

  ~Impl() {
    // HttpServer::~HttpServer ran Shutdown, so no io thread is left. With
    // the gate closed (Shutdown did; again for an Impl that never ran) no
    // responder can reach a connection while the members below
    // (connections, then the io context) go away.
    gate_->Close();
    absl::MutexLock lock(&mu_);
    connections_.clear();
  }

  absl::Status Init() {
    for (const std::string& network : options_.trusted_proxies) {
      ASSIGN_OR_RETURN(Cidr cidr, Cidr::Parse(network));
      trusted_proxies_.push_back(std::move(cidr));
    }
    if (!options_.tls_cert_pem.empty()) {
      ASSIGN_OR_RETURN(
          SslCtxPtr ctx,
          NewServerTlsContext({options_.tls_cert_pem, options_.tls_key_pem,
                               options_.tls_client_ca_pem,
                               /*h2=*/h2_handler_ != nullptr}));
      // asio::ssl::context takes ownership of the SSL_CTX.
      tls_ = std::make_unique<net::ssl::context>(ctx.release());
    }
    return Listen();
  }

  void Run() {
    Accept();
    threads_.reserve(options_.threads);
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { RunIoThread(); });
    }
  }

  int port() const { return port_; }

  void Shutdown(absl::Duration grace) {
    absl::MutexLock shutdown_lock(&shutdown_mu_);
    if (stopped_) return;
    stopped_ = true;
    try {
      CloseConnections(absl::Now() + grace);
    } catch (const std::exception& e) {
      // Only allocation can fail here; stopping the threads below still
      // closes every socket (with the io context, in ~Impl).
      std::fprintf(stderr, "http server: shutdown: %s\n", e.what());
    }
    // Stop the io threads. Handlers still queued are destroyed with the io
    // context, in ~Impl; from now on responders do nothing.
    work_.reset();
    io_.stop();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    gate_->Close();
  }

  // ConnectionHost
  const HttpServerOptions& options() const override { return options_; }
  HttpHandler& handler() override { return *handler_; }
  H2Handler* h2_handler() override { return h2_handler_; }
  const std::shared_ptr<internal::ResponderGate>& gate() const override {
    return gate_;
  }
  bool draining() const override {
    return draining_.load(std::memory_order_relaxed);
  }
  void Drain() { draining_.store(true, std::memory_order_relaxed); }

  void OnConnectionClosed(internal::Connection* connection) override {
    std::shared_ptr<internal::Connection> last_reference;
    absl::MutexLock lock(&mu_);
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    // Released after the lock (declared first, destroyed last).
    last_reference = std::move(it->second.connection);
    auto count = per_address_.find(it->second.address);
    if (count != per_address_.end() && --count->second == 0) {
      per_address_.erase(count);
    }
    connections_.erase(it);
  }

 private:
  bool AllClosed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return connections_.empty();
  }

  std::vector<std::shared_ptr<internal::Connection>> OpenConnections()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::shared_ptr<internal::Connection>> open;
    open.reserve(connections_.size());
    for (const auto& [unused, open_connection] : connections_) {
      open.push_back(open_connection.connection);
    }
    return open;
  }

  // The graceful part of Shutdown, until `deadline`.
  void CloseConnections(absl::Time deadline) {
    // 1. Refuse new connections: the listening socket is closed (on the
    // acceptor's strand) before this step ends, unless an io thread is stuck
    // in a handler.
    std::vector<std::shared_ptr<internal::Connection>> open;
    {
      absl::MutexLock lock(&mu_);
      accepting_ = false;
      open = OpenConnections();
    }
    auto acceptor_closed = std::make_shared<absl::Notification>();
    net::post(acceptor_.get_executor(), [this, acceptor_closed] {
      error_code ignored;
      acceptor_.close(ignored);
      try {
        accept_retry_.cancel();
      } catch (const std::exception&) {
        // The retry finds the acceptor closed and stops anyway.
      }
      acceptor_closed->Notify();
    });
    acceptor_closed->WaitForNotificationWithTimeout(kForceCloseWait);

    // 2. Idle connections close now, busy ones after their response.
    for (const auto& connection : open) connection->BeginShutdown();
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(this, &Impl::AllClosed), deadline);
      open = OpenConnections();
    }

    // 3. Out of grace: close the rest.
    for (const auto& connection : open) connection->ForceClose();
    open.clear();
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &Impl::AllClosed),
                         kForceCloseWait);
  }

  absl::Status Listen() {
    ASSIGN_OR_RETURN(ListenAddress address,
                     ParseListenAddress(options_.listen));
    error_code ec;
    tcp::endpoint endpoint;
    net::ip::address ip = net::ip::make_address(address.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(ip, address.port);
    } else {
      // A name such as "localhost": the first address it resolves to.
      tcp::resolver resolver(io_);
      auto results =
          resolver.resolve(address.host, std::to_string(address.port),
                           tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("listen address \"", options_.listen,
                         "\": cannot resolve host: ", ec.message()));
      }
      endpoint = results.begin()->endpoint();
    }
    auto failed = [&](absl::string_view step) {
      return absl::UnavailableError(absl::StrCat(
          "HTTP server: ", step, " ", options_.listen, ": ", ec.message()));
    };
    // With BOOST_ASIO_NO_DEPRECATED these return void; `ec` says.
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return failed("open");
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) return failed("SO_REUSEADDR on");
    acceptor_.bind(endpoint, ec);
    if (ec) return failed("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return failed("listen on");
    tcp::endpoint bound = acceptor_.local_endpoint(ec);
    if (ec) return failed("local address of");
    port_ = bound.port();
    return absl::OkStatus();
  }

  void RunIoThread() {
    // Handlers catch what they expect; anything else (bad_alloc, a throwing
    // Asio call) unwinds to here, and the thread goes on serving.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "http server: io thread: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "http server: io thread: unknown exception\n");
      }
    }
  }

  // Each connection's handlers must not run concurrently. With one io
  // thread that holds anyway, and the io_context's own executor is cheaper;
  // with more, each socket gets a strand.
  net::any_io_executor ConnectionExecutor() {
    if (options_.threads == 1) return io_.get_executor();
    return net::make_strand(io_);
  }

  // On the acceptor's strand.
  void Accept() {
    acceptor_.async_accept(
        ConnectionExecutor(), [this](error_code ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
            return;
          }
          if (ec) {
            accept_retry_.expires_after(kAcceptRetryDelay);
            accept_retry_.async_wait([this](error_code wait_error) {
              if (!wait_error && acceptor_.is_open()) Accept();
            });
            return;
          }
          try {
            OnAccepted(std::move(socket));
          } catch (const std::exception& e) {
            std::fprintf(stderr, "http server: accept: %s\n", e.what());
          }
          Accept();
        });
  }

  void OnAccepted(tcp::socket socket) {
    error_code ec;
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // Already gone.
    // The address only: one client's connections share it, whatever port.
    std::string address = remote.address().to_string();
    if (!trusted_proxies_.empty() && AnyContains(trusted_proxies_, address)) {
      return ReadProxyHeader(std::move(socket), std::move(address),
                             PeerString(remote));
    }
    Admit(std::move(socket), std::move(address), PeerString(remote));
  }

  // `address` (the client's IP) and `peer` ("ip:port") come from the socket,
  // or from a trusted proxy's PROXY header.
  void Admit(tcp::socket socket, std::string address, std::string peer) {
    bool full;
    {
      absl::MutexLock lock(&mu_);
      if (!accepting_) return;  // `socket` closes on return.
      auto count = per_address_.find(address);
      full = connections_.size() + pending_headers_ >=
                 static_cast<size_t>(options_.max_connections) ||
             (count != per_address_.end() &&
              count->second >= options_.max_connections_per_address);
    }
    if (full) return RejectOverCapacity(socket);
    // Responses go out in one write; don't let Nagle hold the last segment.
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    std::shared_ptr<internal::Connection> connection =
        NewConnection(std::move(socket), std::move(peer));
    {
      absl::MutexLock lock(&mu_);
      if (!accepting_) return;  // Shutdown began meanwhile.
      ++per_address_[address];
      connections_.emplace(connection.get(),
                           OpenConnection{connection, std::move(address)});
    }
    connection->Start();
  }

  // ---- a trusted proxy's PROXY header (proxy_protocol.h) ----

  struct PendingHeader {
    PendingHeader(tcp::socket s, std::string address, std::string peer)
        : socket(std::move(s)),
          deadline(socket.get_executor()),
          retry(socket.get_executor()),
          proxy_address(std::move(address)),
          proxy_peer(std::move(peer)) {}
    tcp::socket socket;
    net::steady_timer deadline;  // first_byte_timeout: then closed.
    net::steady_timer retry;     // A partial header: look again soon.
    std::string proxy_address;
    std::string proxy_peer;
  };

  // The header, if any, is read (peeked, then consumed to its exact length,
  // so the bytes after it stay for the protocol) before the connection is
  // admitted under the client's address. Counted toward max_connections
  // meanwhile.
  void ReadProxyHeader(tcp::socket socket, std::string address,
                       std::string peer) {
    {
      absl::MutexLock lock(&mu_);
      if (!accepting_ || connections_.size() + pending_headers_ >=
                             static_cast<size_t>(options_.max_connections)) {
        return;  // `socket` closes on return.
      }
      ++pending_headers_;
    }
    auto pending = std::make_shared<PendingHeader>(
        std::move(socket), std::move(address), std::move(peer));
    pending->deadline.expires_after(
        absl::ToChronoNanoseconds(options_.first_byte_timeout));
    pending->deadline.async_wait([pending](error_code ec) {
      if (!ec) pending->socket.close(ec);  // Cancels the wait below.
    });
    PollProxyHeader(pending);
  }

  void PollProxyHeader(const std::shared_ptr<PendingHeader>& pending) {
    pending->socket.async_wait(tcp::socket::wait_read, [this, pending](
                                                           error_code ec) {
      if (ec) return EndPendingHeader(pending, false);
      uint8_t bytes[kMaxProxyHeaderBytes];
      const size_t n = pending->socket.receive(net::buffer(bytes),
                                               tcp::socket::message_peek, ec);
      if (ec || n == 0) return EndPendingHeader(pending, false);
      const ProxyHeader header = ParseProxyHeader(
          absl::string_view(reinterpret_cast<const char*>(bytes), n));
      switch (header.state) {
        case ProxyHeader::State::kNone:
          return EndPendingHeader(pending, true);
        case ProxyHeader::State::kInvalid:
          return EndPendingHeader(pending, false);
        case ProxyHeader::State::kNeedMore:
          // Data is there, so waiting for readability would return at
          // once: look again shortly (until the deadline closes it).
          pending->retry.expires_after(kProxyHeaderRetry);
          pending->retry.async_wait([this, pending](error_code ec) {
            if (ec) return EndPendingHeader(pending, false);
            PollProxyHeader(pending);
          });
          return;
        case ProxyHeader::State::kComplete:
          break;
      }
      // Consume exactly the header; what follows is the protocol's.
      if (pending->socket.receive(net::buffer(bytes, header.length), 0, ec) !=
              header.length ||
          ec) {
        return EndPendingHeader(pending, false);
      }
      if (!header.address.empty()) {
        const net::ip::address client =
            net::ip::make_address(header.address, ec);
        if (ec) return EndPendingHeader(pending, false);
        pending->proxy_address = client.to_string();
        pending->proxy_peer = PeerString(tcp::endpoint(client, header.port));
      }
      EndPendingHeader(pending, true);
    });
  }

  void EndPendingHeader(const std::shared_ptr<PendingHeader>& pending,
                        bool admit) {
    error_code ignored;
    pending->deadline.cancel();
    pending->retry.cancel();
    {
      absl::MutexLock lock(&mu_);
      --pending_headers_;
    }
    if (!admit) return pending->socket.close(ignored);
    Admit(std::move(pending->socket), std::move(pending->proxy_address),
          std::move(pending->proxy_peer));
  }

  std::shared_ptr<internal::Connection> NewConnection(tcp::socket socket,
                                                      std::string peer) {
    if (h2_handler_ != nullptr) {
      return tls_ ? internal::NewTlsH2Connection(std::move(socket), *tls_, this,
                                                 std::move(peer))
                  : internal::NewPlainH2Connection(std::move(socket), this,
                                                   std::move(peer));
    }
    return tls_ ? internal::NewTlsConnection(std::move(socket), *tls_, this,
                                             std::move(peer))
                : internal::NewPlainConnection(std::move(socket), this,
                                               std::move(peer));
  }

  // Beyond max_connections (or the address's share): a 503 if it fits in the
  // socket buffer right now (never waiting on this client), then close. TLS
  // would need a handshake first, and HTTP/2 a session, so those clients
  // just see the close.
  void RejectOverCapacity(tcp::socket& socket) {
    error_code ec;
    if (!tls_ && h2_handler_ == nullptr) {
      const HttpResponse response =
          ServerErrorResponse(503, "too many connections");
      const std::string request_id = NewRequestId();
      ResponseContext context;
      context.request_id = request_id;
      context.close = true;
      absl::StatusOr<ResponseHead> head = FormatResponseHead(response, context);
      socket.non_blocking(true, ec);
      if (head.ok() && !ec) {
        const std::string bytes = head->text + response.body;
        socket.write_some(net::buffer(bytes), ec);
      }
      socket.shutdown(tcp::socket::shutdown_send, ec);
    }
    socket.close(ec);
  }

  const HttpServerOptions options_;
  HttpHandler* const handler_;   // HTTP/1.1 mode, else null.
  H2Handler* const h2_handler_;  // HTTP/2 mode, else null.
  const std::shared_ptr<internal::ResponderGate> gate_;
  // Declared before io_: TLS streams of connections destroyed with io_'s
  // queued handlers still refer to it.
  std::unique_ptr<net::ssl::context> tls_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  int port_ = 0;
  std::vector<std::thread> threads_;

  std::atomic<bool> draining_{false};
  absl::Mutex shutdown_mu_;
  bool stopped_ ABSL_GUARDED_BY(shutdown_mu_) = false;

  // Every open connection, keeping it alive while no operation is pending on
  // it (while its handler works, say). Declared after io_: cleared first.
  absl::Mutex mu_;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  struct OpenConnection {
    std::shared_ptr<internal::Connection> connection;
    std::string address;  // the client's IP
  };
  absl::flat_hash_map<internal::Connection*, OpenConnection> connections_
      ABSL_GUARDED_BY(mu_);
  // Open connections by client address (only addresses with one or more).
  absl::flat_hash_map<std::string, int> per_address_ ABSL_GUARDED_BY(mu_);
  // Connections from trusted proxies whose PROXY header is being read.
  size_t pending_headers_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Cidr> trusted_proxies_;  // Set once, in Init.
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    HttpServerOptions options, HttpHandler* handler) {
  if (handler == nullptr) return absl::InvalidArgumentError("no handler");
  return StartEither(std::move(options), handler, nullptr);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::StartH2(
    HttpServerOptions options, H2Handler* handler) {
  if (handler == nullptr) return absl::InvalidArgumentError("no handler");
  if (options.h2_max_concurrent_streams < 1) {
    return absl::InvalidArgumentError(
        "h2_max_concurrent_streams must be positive");
  }
  return StartEither(std::move(options), nullptr, handler);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::StartEither(
    HttpServerOptions options, HttpHandler* handler, H2Handler* h2_handler) {
  RETURN_IF_ERROR(ValidateOptions(options));
  try {
    auto impl = std::make_unique<Impl>(std::move(options), handler, h2_handler);
    RETURN_IF_ERROR(impl->Init());
    std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
    // Owned by `server` first, so a failure starting threads still ends in
    // Shutdown (which joins those started).
    server->impl_->Run();
    return server;
  } catch (const std::exception& e) {
    // Asio and libssl wrappers throw on resource exhaustion.
    return absl::InternalError(absl::StrCat("HTTP server: ", e.what()));
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(kDestructorGrace); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Drain() { impl_->Drain(); }

void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace tokend::http
