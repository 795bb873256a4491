#include "server/http/http_connection.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/deadline_timer.h"
#include "server/http/request_id.h"
#include "server/http/response_head.h"
#include "server/http/server_error.h"

namespace tokend::http::internal {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = net::ip::tcp;
using SslStream = net::ssl::stream<tcp::socket>;

// Bytes asked for when waiting for a request to start, and when draining.
constexpr size_t kReadChunk = 4096;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
// After a response that ends the connection the client may still be sending
// (a body we refused, say). Closing with unread data makes the kernel send a
// reset, which can destroy our response before the client reads it; so the
// write side is shut first and the rest read and discarded, within bounds.
constexpr absl::Duration kMaxLinger = absl::Seconds(2);
constexpr size_t kMaxLingerBytes = 256 * 1024;

// Process-wide, so that a responder outliving its connection can never
// match a request on another (see ResponseSink).
uint64_t NextSequence() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

tcp::socket& Socket(tcp::socket& stream) { return stream; }
tcp::socket& Socket(SslStream& stream) { return stream.next_layer(); }

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

const boost::system::error_category& ParserErrors() {
  return make_error_code(bhttp::error::bad_method).category();
}

enum class Phase {
  kHandshake,  // TLS handshake, under first_byte_timeout (<= read_timeout).
  kIdle,       // Waiting for the first byte of a request: first_byte_timeout
               // on a new plaintext connection, else idle_timeout.
  kReading,    // Reading a request, read_timeout from its first byte.
  kHandling,   // The handler has it. No timer: its time is not ours.
  kWriting,    // Writing the response, write_timeout.
  kClosing,    // Write side shut, draining the client (kMaxLinger).
  kClosed,
};

// A connection over `Stream`: tcp::socket or SslStream. Every handler runs on
// the socket's executor, which never runs two at once (see
// http_connection.h), so members need no lock; the public methods only post.
template <class Stream>
class ConnectionImpl final
    : public Connection,
      public ResponseSink,
      public std::enable_shared_from_this<ConnectionImpl<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, SslStream>;

 public:
  template <class... StreamArgs>
  ConnectionImpl(ConnectionHost* host, std::string peer,
                 StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        executor_(Socket(stream_).get_executor()),
        timer_(executor_,
               [this] {
                 if (phase_ != Phase::kClosed) OnTimeout();
               }),
        host_(host),
        options_(host->options()),
        peer_(std::move(peer)) {}

  void Start() override {
    net::post(executor_,
              [self = this->shared_from_this()] { self->OnStart(); });
  }

  void BeginShutdown() override {
    net::post(executor_, [self = this->shared_from_this()] {
      self->shutting_down_ = true;
      // Idle after a response: close now (the response said so if the
      // server drained first). A request being read is let finish, and so
      // is a new connection's first (see http_connection.h).
      if (self->phase_ == Phase::kIdle && self->requests_started_ > 0) {
        self->CloseNow();
      }
    });
  }

  void ForceClose() override {
    net::post(executor_,
              [self = this->shared_from_this()] { self->CloseNow(); });
  }

  void Deliver(uint64_t sequence, HttpResponse response) override {
    net::post(executor_, [self = this->shared_from_this(), sequence,
                          response = std::move(response)]() mutable {
      self->OnResponse(sequence, std::move(response));
    });
  }

 private:
  std::shared_ptr<ConnectionImpl> Self() { return this->shared_from_this(); }

  void OnStart() {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      // A real client's handshake takes round trips, not seconds: a socket
      // that never sends a ClientHello is let go early.
      SetDeadline(std::min(options_.first_byte_timeout, options_.read_timeout));
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = Self()](error_code ec) {
                                if (self->phase_ == Phase::kClosed) return;
                                if (ec) return self->CloseNow();
                                self->ReadNext();
                              });
    } else {
      ReadNext();
    }
  }

  // ---- deadline (DeadlineTimer) ----

  void SetDeadline(absl::Duration timeout) { timer_.Set(timeout, Self()); }
  void ClearDeadline() { timer_.Clear(); }

  void OnTimeout() {
    switch (phase_) {
      case Phase::kReading: {
        // Keep the socket open so a 408 can still go out: cancelling
        // completes the pending read, and OnReadError sees timed_out_.
        timed_out_ = true;
        error_code ignored;
        Socket(stream_).cancel(ignored);
        return;
      }
      case Phase::kHandling:
      case Phase::kClosed:
        return;
      default:  // Idle, handshake, writing, draining: nobody to answer.
        CloseNow();
    }
  }

  // ---- reading a request ----

  void ReadNext() {
    if (shutting_down_) return CloseGracefully();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(
        options_.max_header_bytes, std::numeric_limits<uint32_t>::max())));
    parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
    timed_out_ = false;
    head_request_ = false;
    http10_ = false;
    keep_alive_ = false;
    request_id_.clear();
    // A pipelined request already started: its read timeout runs from now.
    if (buffer_.size() > 0) return ReadHeader();
    phase_ = Phase::kIdle;
    // Before the first request, the short first-byte deadline (a TLS
    // connection's handshake already proved a live client).
    SetDeadline(requests_started_ == 0 && !kTls ? options_.first_byte_timeout
                                                : options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = Self()](error_code, size_t n) {
                              if (self->phase_ == Phase::kClosed) return;
                              self->buffer_.commit(n);
                              // EOF, reset, or the idle timer: close quietly.
                              if (n == 0) return self->CloseNow();
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    ++requests_started_;
    phase_ = Phase::kReading;
    SetDeadline(options_.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = Self()](error_code ec, size_t) {
                               if (self->phase_ == Phase::kClosed) return;
                               if (ec) return self->OnReadError(ec);
                               self->OnHeader();
                             });
  }

  void OnHeader() {
    const auto& message = parser_->get();
    auto id = message.find("x-request-id");
    request_id_ = RequestIdFor(id == message.end() ? absl::string_view()
                                                   : View(id->value()));
    head_request_ = message.method() == bhttp::verb::head;
    http10_ = message.version() < 11;
    keep_alive_ = message.keep_alive();

    if (!http10_ && message.count(bhttp::field::host) != 1) {
      return Reject(400, "an HTTP/1.1 request needs exactly one Host header");
    }
    if (message.target().empty() || message.target().front() != '/') {
      return Reject(400, "the request target must be a path (origin-form)");
    }
    // Beast frames a body by "chunked" only when it is the final coding; any
    // other coding we cannot decode, and without framing we cannot skip it.
    const size_t codings = message.count(bhttp::field::transfer_encoding);
    if (codings > 0 &&
        (codings > 1 || !parser_->chunked() ||
         !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(View(
                                     message[bhttp::field::transfer_encoding])),
                                 "chunked"))) {
      return Reject(501, "only the chunked transfer coding is supported");
    }
    bool send_continue = false;
    // RFC 9110 10.1.1: an HTTP/1.0 client's expectation is ignored.
    const size_t expectations = message.count(bhttp::field::expect);
    if (expectations > 0 && !http10_) {
      if (expectations > 1 ||
          !absl::EqualsIgnoreCase(
              absl::StripAsciiWhitespace(View(message[bhttp::field::expect])),
              "100-continue")) {
        return Reject(417, "the only supported expectation is 100-continue");
      }
      // Limits were checked with the header (a Content-Length over
      // max_body_bytes already failed), so the client may go on.
      send_continue = !parser_->is_done();
    }
    if (parser_->is_done()) return OnRequestRead();
    if (timed_out_) return Reject408();
    if (send_continue) {
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = Self()](error_code ec, size_t) {
                         if (self->phase_ == Phase::kClosed) return;
                         if (self->timed_out_) return self->Reject408();
                         if (ec) return self->CloseNow();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  // Still under the deadline armed in ReadHeader.
  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = Self()](error_code ec, size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) return self->OnReadError(ec);
                        self->OnRequestRead();
                      });
  }

  void OnReadError(error_code ec) {
    if (timed_out_) return Reject408();
    if (ec == bhttp::error::header_limit ||
        ec == bhttp::error::buffer_overflow) {
      return Reject(431, absl::StrCat("the request header block exceeds ",
                                      options_.max_header_bytes, " bytes"));
    }
    if (ec == bhttp::error::body_limit) {
      return Reject(413, absl::StrCat("the request body exceeds ",
                                      options_.max_body_bytes, " bytes"));
    }
    const bool peer_gone = ec == bhttp::error::end_of_stream ||
                           ec == bhttp::error::partial_message;
    if (!peer_gone && ec.category() == ParserErrors()) {
      return Reject(400, absl::StrCat("malformed request: ", ec.message()));
    }
    // The client went away (EOF, reset, TLS failure): nobody to answer.
    CloseNow();
  }

  void Reject408() {
    Reject(408, "the request was not received within the read timeout");
  }

  // Answers with a server error and closes: after a refused or unparsable
  // request the remaining bytes cannot be trusted to frame the next one.
  void Reject(int status, absl::string_view message) {
    if (request_id_.empty()) {
      // Refused before OnHeader (a Content-Length over the limit, a bad
      // field): the client's id if the parser got that far.
      absl::string_view client_id;
      if (parser_.has_value()) {
        auto id = parser_->get().find("x-request-id");
        if (id != parser_->get().end()) client_id = View(id->value());
      }
      request_id_ = RequestIdFor(client_id);
    }
    WriteResponse(ServerErrorResponse(status, message), /*close=*/true);
  }

  // ---- handing the request over ----

  void OnRequestRead() {
    phase_ = Phase::kHandling;
    ClearDeadline();
    bhttp::request<bhttp::string_body> message = parser_->release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(
          absl::AsciiStrToLower(View(field.name_string())),
          std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.request_id = request_id_;
    request.peer = peer_;
    request.tls = kTls;
    const uint64_t sequence = NextSequence();
    sequence_ = sequence;
    Responder respond = MakeResponder(
        host_->gate(), std::weak_ptr<ResponseSink>(Self()), sequence);
    {
      InlineScope scope(this);
      try {
        host_->handler().Handle(std::move(request), std::move(respond));
      } catch (...) {
        // A throwing handler dropped its responder (which answers 500) or
        // still holds it; either way this connection stays consistent.
      }
    }
    if (inline_response_.has_value()) {
      HttpResponse response = std::move(*inline_response_);
      inline_response_.reset();
      OnResponse(sequence, std::move(response));
    }
  }

  void DeliverInline(uint64_t sequence, HttpResponse response) override {
    if (sequence == sequence_ && !inline_response_.has_value()) {
      inline_response_ = std::move(response);
    }
  }

  // ---- writing the response ----

  void OnResponse(uint64_t sequence, HttpResponse response) {
    // Only the answer to the request being handled; a late or duplicate one
    // (after a close, say) is dropped.
    if (phase_ != Phase::kHandling || sequence != sequence_) return;
    WriteResponse(std::move(response),
                  !keep_alive_ || shutting_down_ || host_->draining());
  }

  void WriteResponse(HttpResponse response, bool close) {
    const ResponseContext context{request_id_, head_request_, http10_, close};
    absl::StatusOr<ResponseHead> head = FormatResponseHead(response, context);
    if (!head.ok()) {
      response = ServerErrorResponse(500, head.status().message());
      head = FormatResponseHead(response, context);
      if (!head.ok()) return CloseNow();  // Not reached: ours are valid.
    }
    out_head_ = std::move(head->text);
    out_body_ = head->send_body ? std::move(response.body) : std::string();
    close_after_write_ = head->close;
    phase_ = Phase::kWriting;
    SetDeadline(options_.write_timeout);
    const std::array<net::const_buffer, 2> buffers = {net::buffer(out_head_),
                                                      net::buffer(out_body_)};
    net::async_write(stream_, buffers, [self = Self()](error_code ec, size_t) {
      if (self->phase_ == Phase::kClosed) return;
      self->out_body_ = std::string();  // Bodies can be large; don't keep.
      if (ec) return self->CloseNow();
      if (self->close_after_write_) return self->CloseGracefully();
      self->ReadNext();
    });
  }

  // ---- closing ----

  void CloseGracefully() {
    phase_ = Phase::kClosing;
    SetDeadline(std::min(kMaxLinger, options_.write_timeout));
    if constexpr (kTls) {
      // close_notify, so the client can tell our close from a truncation;
      // then linger as over plain TCP: a client still sending its body (a
      // refused upload) would otherwise get a reset in place of the answer.
      stream_.async_shutdown([self = Self()](error_code) {
        if (self->phase_ == Phase::kClosed) return;
        error_code ec;
        Socket(self->stream_).shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return self->CloseNow();
        self->Drain();
      });
    } else {
      error_code ec;
      stream_.shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return CloseNow();
      // Server shutdown waits for lingering connections; when nothing is
      // unread there is nothing for a reset to be about, so don't linger.
      if (shutting_down_ && buffer_.size() == 0 && stream_.available(ec) == 0 &&
          !ec) {
        return CloseNow();
      }
      Drain();
    }
  }

  // Reads and drops what the client still sends, from the TCP socket (over
  // TLS, the ciphertext after close_notify), until it closes, kMaxLingerBytes
  // or the deadline.
  void Drain() {
    buffer_.consume(buffer_.size());
    Socket(stream_).async_read_some(
        buffer_.prepare(kReadChunk), [self = Self()](error_code ec, size_t n) {
          if (self->phase_ == Phase::kClosed) return;
          self->drained_bytes_ += n;
          if (ec || self->drained_bytes_ > kMaxLingerBytes) {
            return self->CloseNow();
          }
          self->Drain();
        });
  }

  void CloseNow() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    ClearDeadline();
    error_code ignored;
    Socket(stream_).close(ignored);
    host_->OnConnectionClosed(this);
    timer_.Cancel();  // Last, as the one call here that could throw.
  }

  Stream stream_;
  // The socket's executor, kept apart so other threads may post to it
  // without touching stream_.
  const net::any_io_executor executor_;
  DeadlineTimer timer_;
  ConnectionHost* const host_;
  const HttpServerOptions& options_;
  const std::string peer_;

  Phase phase_ = Phase::kIdle;
  int64_t requests_started_ = 0;
  bool shutting_down_ = false;
  bool timed_out_ = false;  // The read deadline passed; answer 408.

  // Reading. buffer_ outlives parser_: it may hold the next pipelined request.
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;

  // The request being served.
  uint64_t sequence_ = 0;
  std::optional<HttpResponse> inline_response_;  // Answered within Handle.
  std::string request_id_;
  bool head_request_ = false;
  bool http10_ = false;
  bool keep_alive_ = false;

  // The response being written.
  std::string out_head_;
  std::string out_body_;
  bool close_after_write_ = false;
  size_t drained_bytes_ = 0;
};

}  // namespace

std::shared_ptr<Connection> NewPlainConnection(tcp::socket socket,
                                               ConnectionHost* host,
                                               std::string peer) {
  return std::make_shared<ConnectionImpl<tcp::socket>>(host, std::move(peer),
                                                       std::move(socket));
}

std::shared_ptr<Connection> NewTlsConnection(tcp::socket socket,
                                             net::ssl::context& tls,
                                             ConnectionHost* host,
                                             std::string peer) {
  return std::make_shared<ConnectionImpl<SslStream>>(host, std::move(peer),
                                                     std::move(socket), tls);
}

}  // namespace tokend::http::internal
