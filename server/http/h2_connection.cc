#include "server/http/h2_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/deadline_timer.h"
#include "server/http/responder.h"

namespace tokend::http::internal {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;
using SslStream = net::ssl::stream<tcp::socket>;

// Bytes read per read call; per connection, so kept modest.
constexpr size_t kReadBufferBytes = 8 * 1024;
// Frames gathered into one socket write at most.
constexpr size_t kMaxWriteBatch = 64 * 1024;
// RFC 9113 6.5.2's per-field overhead in SETTINGS_MAX_HEADER_LIST_SIZE.
constexpr size_t kFieldOverhead = 32;
// RST_STREAM frames a client may send: a burst, then this many per second,
// beyond which nghttp2 ends the connection (CVE-2023-44487, "rapid reset").
constexpr uint64_t kResetBurst = 1000;
constexpr uint64_t kResetsPerSecond = 33;
// A response's sent prefix is dropped from its buffer once this long (and
// more than half the buffer), so a stream that never quite drains does not
// keep everything it ever sent.
constexpr size_t kCompactAfter = 64 * 1024;
// TCP keepalive on every connection: a peer that vanished without a reset
// (a NAT's timeout) is found within about two minutes, even while a
// stream is open and no idle timeout runs.
constexpr int kKeepaliveIdleSeconds = 60;
constexpr int kKeepaliveIntervalSeconds = 20;
constexpr int kKeepaliveProbes = 3;
// After our GOAWAY with nothing left to send, a TLS close_notify may take
// this long before the socket is closed anyway.
constexpr absl::Duration kCloseWait = absl::Seconds(2);

tcp::socket& Socket(tcp::socket& stream) { return stream; }
tcp::socket& Socket(SslStream& stream) { return stream.next_layer(); }

absl::string_view View(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

nghttp2_nv Field(const std::pair<std::string, std::string>& field) {
  // nghttp2 copies names and values (no NO_COPY flags).
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(field.first.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(field.second.data())),
          field.first.size(), field.second.size(), NGHTTP2_NV_FLAG_NONE};
}

std::vector<nghttp2_nv> Fields(const H2Fields& first,
                               const H2Fields* second = nullptr) {
  std::vector<nghttp2_nv> fields;
  fields.reserve(first.size() + (second ? second->size() : 0));
  for (const auto& field : first) fields.push_back(Field(field));
  if (second != nullptr) {
    for (const auto& field : *second) fields.push_back(Field(field));
  }
  return fields;
}

// What a response stream posts to: its connection.
class OutputSink {
 public:
  virtual void PostOutput(int32_t stream_id,
                          H2ResponseStream::Output output) = 0;

 protected:
  ~OutputSink() = default;
};

class ResponseStream final : public H2ResponseStream {
 public:
  ResponseStream(std::shared_ptr<ResponderGate> gate,
                 std::weak_ptr<OutputSink> sink, int32_t stream_id)
      : gate_(std::move(gate)), sink_(std::move(sink)), id_(stream_id) {}

  void Send(Output output) override {
    gate_->RunIfOpen([&] {
      if (std::shared_ptr<OutputSink> sink = sink_.lock()) {
        try {
          sink->PostOutput(id_, std::move(output));
        } catch (const std::exception&) {
          // Out of memory: the stream never ends, and the client's deadline
          // (or the connection closing) cleans it up.
        }
      }
    });
  }

 private:
  const std::shared_ptr<ResponderGate> gate_;
  const std::weak_ptr<OutputSink> sink_;
  const int32_t id_;
};

struct SessionDeleter {
  void operator()(nghttp2_session* session) const {
    nghttp2_session_del(session);
  }
};

// An HTTP/2 connection over `Stream` (tcp::socket or SslStream). Like the
// HTTP/1.1 connection, every handler runs on the socket's executor, which
// never runs two at once, so members need no lock; public methods only post.
template <class Stream>
class H2ConnectionImpl final
    : public Connection,
      public OutputSink,
      public std::enable_shared_from_this<H2ConnectionImpl<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, SslStream>;

 public:
  template <class... StreamArgs>
  H2ConnectionImpl(ConnectionHost* host, std::string peer,
                   StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        executor_(Socket(stream_).get_executor()),
        timer_(executor_, [this] { OnTimeout(); }),
        host_(host),
        options_(host->options()),
        peer_(std::move(peer)) {}

  void Start() override {
    net::post(executor_, [self = Self()] { self->OnStart(); });
  }

  void BeginShutdown() override {
    net::post(executor_, [self = Self()] {
      self->shutting_down_ = true;
      // Not yet speaking HTTP/2 (TLS handshake): nothing to finish.
      if (self->session_ == nullptr) return self->CloseNow();
      self->SendGoaway();
    });
  }

  void ForceClose() override {
    net::post(executor_, [self = Self()] { self->CloseNow(); });
  }

  void PostOutput(int32_t stream_id, H2ResponseStream::Output output) override {
    net::post(executor_,
              [self = Self(), stream_id, output = std::move(output)]() mutable {
                self->OnOutput(stream_id, std::move(output));
              });
  }

 private:
  struct StreamState {
    H2Request request;  // Until the header block is complete.
    size_t header_bytes = 0;
    std::unique_ptr<H2StreamHandler> handler;
    // The response: data not yet framed, then trailers.
    std::string out;
    size_t out_offset = 0;
    std::optional<H2Fields> trailers;
    bool response_started = false;
    bool response_ended = false;  // Trailers (or END_STREAM) submitted.
    bool deferred = false;        // The data source waits for more.
    bool reset = false;           // Over a limit: reset by us.
    size_t held = 0;              // Request bytes the handler holds.

    size_t pending() const { return out.size() - out_offset; }
  };

  std::shared_ptr<H2ConnectionImpl> Self() { return this->shared_from_this(); }

  // ---- setup ----

  void OnStart() {
    SetKeepalive();
    if constexpr (kTls) {
      timer_.Set(std::min(options_.first_byte_timeout, options_.read_timeout),
                 Self());
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = Self()](error_code ec) {
                                if (self->closed_) return;
                                if (ec) return self->CloseNow();
                                self->StartSession();
                              });
    } else {
      StartSession();
    }
  }

  void StartSession() {
    if (shutting_down_) return CloseNow();
    if (!InitSession()) return CloseNow();
    timer_.Set(options_.first_byte_timeout, Self());
    Flush();  // Our SETTINGS.
    Read();
  }

  void SetKeepalive() {
    tcp::socket& socket = Socket(stream_);
    error_code ignored;
    socket.set_option(net::socket_base::keep_alive(true), ignored);
    const int fd = socket.native_handle();
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleSeconds,
               sizeof(int));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds,
               sizeof(int));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof(int));
  }

  bool InitSession() {
    nghttp2_session_callbacks* callbacks;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                            &OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
                                                         &OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                              &OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                           &OnStreamClose);
    nghttp2_option* option;
    if (nghttp2_option_new(&option) != 0) {
      nghttp2_session_callbacks_del(callbacks);
      return false;
    }
    nghttp2_option_set_stream_reset_rate_limit(option, kResetBurst,
                                               kResetsPerSecond);
    // Field values with leading or trailing blanks ("Bearer ") reach the
    // handler, as through gRPC's own HTTP/2 stack, rather than resetting
    // the stream: the service answers them with its own error.
    nghttp2_option_set_no_rfc9113_leading_and_trailing_ws_validation(option, 1);
    nghttp2_session* session = nullptr;
    const int rv =
        nghttp2_session_server_new2(&session, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0) return false;
    session_.reset(session);
    const std::array<nghttp2_settings_entry, 2> settings = {{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
         static_cast<uint32_t>(options_.h2_max_concurrent_streams)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         static_cast<uint32_t>(options_.max_header_bytes)},
    }};
    return nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE,
                                   settings.data(), settings.size()) == 0;
  }

  // ---- reading ----

  void Read() {
    stream_.async_read_some(net::buffer(read_buffer_),
                            [self = Self()](error_code ec, size_t n) {
                              if (self->closed_) return;
                              // EOF, reset, TLS failure: the client is gone.
                              if (ec || n == 0) return self->CloseNow();
                              self->OnRead(n);
                            });
  }

  void OnRead(size_t n) {
    if (closing_) return;  // Our close_notify is on its way.
    if (!got_bytes_) {
      got_bytes_ = true;
      UpdateIdleDeadline();
    }
    const ssize_t rv =
        nghttp2_session_mem_recv(session_.get(), read_buffer_.data(), n);
    if (rv < 0) {
      // Not HTTP/2 (a bad preface), a flood, or a callback failure: nghttp2
      // may have queued a GOAWAY; send it if it goes promptly, then close.
      failed_ = true;
      Flush();
      if (!writing_) CloseNow();
      return;
    }
    Flush();
    if (nghttp2_session_want_read(session_.get())) {
      Read();
    } else {
      MaybeFinish();
    }
  }

  // ---- nghttp2 callbacks (inside mem_recv, on the executor) ----

  static H2ConnectionImpl* From(void* user_data) {
    return static_cast<H2ConnectionImpl*>(user_data);
  }

  StreamState* FindStream(int32_t stream_id) {
    auto it = streams_.find(stream_id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                            void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    try {
      H2ConnectionImpl* self = From(user_data);
      auto state = std::make_unique<StreamState>();
      state->request.peer = self->peer_;
      state->request.tls = kTls;
      self->streams_.emplace(frame->hd.stream_id, std::move(state));
      self->UpdateIdleDeadline();  // Not idle while a stream is open.
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_size,
                      const uint8_t* value, size_t value_size, uint8_t,
                      void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;  // Trailers from a client carry nothing we use.
    }
    StreamState* state = From(user_data)->FindStream(frame->hd.stream_id);
    if (state == nullptr) return 0;
    H2Request& request = state->request;
    state->header_bytes += name_size + value_size + kFieldOverhead;
    if (state->header_bytes > From(user_data)->options_.max_header_bytes) {
      request.headers_too_large = true;
      return 0;
    }
    try {
      const absl::string_view field_name = View(name, name_size);
      const absl::string_view field_value = View(value, value_size);
      // nghttp2 has checked the pseudo-header rules (RFC 9113 8.3).
      if (field_name == ":method") {
        request.method = std::string(field_value);
      } else if (field_name == ":path") {
        request.path = std::string(field_value);
      } else if (field_name == ":authority") {
        request.authority = std::string(field_value);
      } else if (field_name.empty() || field_name.front() != ':') {
        request.headers.emplace_back(field_name, field_value);
      }
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM.
    }
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                         void* user_data) {
    H2ConnectionImpl* self = From(user_data);
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) {
      return 0;
    }
    StreamState* state = self->FindStream(frame->hd.stream_id);
    if (state == nullptr) return 0;
    try {
      if (frame->hd.type == NGHTTP2_HEADERS &&
          frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        self->StartRequest(frame->hd.stream_id, *state);
      }
      if (end_stream && state->handler != nullptr && !state->reset) {
        self->Deliver(frame->hd.stream_id, *state, absl::string_view(),
                      /*end_of_stream=*/true);
      }
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id,
                         const uint8_t* data, size_t size, void* user_data) {
    H2ConnectionImpl* self = From(user_data);
    StreamState* state = self->FindStream(stream_id);
    if (state == nullptr || state->handler == nullptr || state->reset) {
      return 0;
    }
    try {
      self->Deliver(stream_id, *state, View(data, size),
                    /*end_of_stream=*/false);
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
  }

  // Hands request bytes to the stream's handler and keeps count of what
  // the connection's handlers hold.
  void Deliver(int32_t stream_id, StreamState& state, absl::string_view data,
               bool end_of_stream) {
    const size_t held = state.handler->OnData(data, end_of_stream);
    held_request_bytes_ += held;
    held_request_bytes_ -= state.held;
    state.held = held;
    if (held_request_bytes_ > options_.h2_max_held_request_bytes) {
      ResetStream(stream_id, state);
    }
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t,
                           void* user_data) {
    H2ConnectionImpl* self = From(user_data);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    std::unique_ptr<StreamState> state = std::move(it->second);
    self->streams_.erase(it);
    self->pending_output_ -= state->pending();
    self->held_request_bytes_ -= state->held;
    try {
      if (state->handler != nullptr && !state->response_ended) {
        state->handler->OnCancel();
      }
      if (self->streams_.empty()) self->UpdateIdleDeadline();
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  void StartRequest(int32_t stream_id, StreamState& state) {
    // While draining, clients are told (once) to open their next calls on a
    // new connection, to another server once a balancer has moved on.
    if (host_->draining() && !notice_sent_) {
      notice_sent_ = true;
      nghttp2_submit_shutdown_notice(session_.get());
    }
    auto response = std::make_shared<ResponseStream>(
        host_->gate(), std::weak_ptr<OutputSink>(Self()), stream_id);
    state.handler = host_->h2_handler()->OnRequest(std::move(state.request),
                                                   std::move(response));
    state.request = H2Request();
  }

  // ---- writing ----

  void OnOutput(int32_t stream_id, H2ResponseStream::Output output) {
    if (closed_) return;
    StreamState* state = FindStream(stream_id);
    if (state == nullptr || state->response_ended || state->reset) return;
    if (!state->response_started) {
      if (!output.headers.has_value()) return;  // Contract broken: no status.
      state->response_started = true;
      if (output.trailers.has_value() && output.data.empty()) {
        const std::vector<nghttp2_nv> fields =
            Fields(*output.headers, &*output.trailers);
        state->response_ended = true;
        if (nghttp2_submit_response(session_.get(), stream_id, fields.data(),
                                    fields.size(), nullptr) != 0) {
          ResetStream(stream_id, *state, NGHTTP2_INTERNAL_ERROR);
        }
        return Flush();
      }
      AppendOutput(*state, output.data);
      state->trailers = std::move(output.trailers);
      const std::vector<nghttp2_nv> fields = Fields(*output.headers);
      nghttp2_data_provider provider;
      provider.source.ptr = nullptr;
      provider.read_callback = &ReadResponseData;
      if (nghttp2_submit_response(session_.get(), stream_id, fields.data(),
                                  fields.size(), &provider) != 0) {
        ResetStream(stream_id, *state, NGHTTP2_INTERNAL_ERROR);
        return Flush();
      }
    } else {
      AppendOutput(*state, output.data);
      if (output.trailers.has_value()) {
        state->trailers = std::move(output.trailers);
      }
      if (state->deferred) {
        state->deferred = false;
        nghttp2_session_resume_data(session_.get(), stream_id);
      }
    }
    if (state->pending() > options_.h2_max_stream_output_bytes ||
        pending_output_ > options_.h2_max_connection_output_bytes) {
      ResetStream(stream_id, *state);
    }
    Flush();
  }

  void AppendOutput(StreamState& state, absl::string_view data) {
    state.out.append(data.data(), data.size());
    pending_output_ += data.size();
  }

  // Drops what the stream holds and resets it; its handler hears OnCancel
  // when nghttp2 closes the stream (or the connection, should even the
  // reset fail to queue).
  void ResetStream(int32_t stream_id, StreamState& state,
                   uint32_t error_code = NGHTTP2_ENHANCE_YOUR_CALM) {
    if (state.reset) return;
    pending_output_ -= state.pending();
    state.out = std::string();
    state.out_offset = 0;
    state.trailers.reset();
    state.reset = true;
    if (nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id,
                                  error_code) != 0) {
      failed_ = true;
    }
  }

  static ssize_t ReadResponseData(nghttp2_session* session, int32_t stream_id,
                                  uint8_t* buffer, size_t size, uint32_t* flags,
                                  nghttp2_data_source*, void* user_data) {
    H2ConnectionImpl* self = From(user_data);
    StreamState* state = self->FindStream(stream_id);
    if (state == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t n = std::min(size, state->pending());
    std::memcpy(buffer, state->out.data() + state->out_offset, n);
    state->out_offset += n;
    self->pending_output_ -= n;
    if (state->out_offset < state->out.size()) {
      if (state->out_offset > kCompactAfter &&
          state->out_offset > state->out.size() / 2) {
        state->out.erase(0, state->out_offset);
        state->out_offset = 0;
      }
      return n;
    }
    state->out.clear();
    state->out_offset = 0;
    if (state->trailers.has_value()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      state->response_ended = true;
      if (!state->trailers->empty()) {
        try {
          const std::vector<nghttp2_nv> fields = Fields(*state->trailers);
          if (nghttp2_submit_trailer(session, stream_id, fields.data(),
                                     fields.size()) == 0) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          }
        } catch (const std::exception&) {
          // Out of memory: the stream ends without its trailers, which the
          // client reports as an error.
        }
      }
      return n;
    }
    if (n > 0) return n;
    state->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }

  // Frames whatever nghttp2 has to send, when no write is in flight.
  void Flush() {
    if (writing_ || closed_ || closing_ || session_ == nullptr) return;
    out_.clear();
    while (out_.size() < kMaxWriteBatch) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
      if (n < 0) {
        failed_ = true;
        break;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), n);
    }
    if (out_.empty()) {
      if (failed_) return CloseNow();
      return MaybeFinish();
    }
    writing_ = true;
    timer_.Set(options_.write_timeout, Self());
    net::async_write(stream_, net::buffer(out_),
                     [self = Self()](error_code ec, size_t) {
                       if (self->closed_) return;
                       self->writing_ = false;
                       if (ec) return self->CloseNow();
                       self->UpdateIdleDeadline();
                       self->Flush();
                     });
  }

  // ---- deadlines and closing ----

  // With streams open, no deadline (each call's is the client's business);
  // with none, the idle timeout (or the first-byte one before any byte).
  void UpdateIdleDeadline() {
    if (writing_) return;  // The write deadline stands.
    if (!got_bytes_) {
      return timer_.Set(options_.first_byte_timeout, Self());
    }
    if (streams_.empty()) {
      timer_.Set(options_.idle_timeout, Self());
    } else {
      timer_.Clear();
    }
  }

  void OnTimeout() {
    if (closed_) return;
    // A stuck write, no preface in time, or a close_notify never answered.
    if (writing_ || !got_bytes_ || closing_ || session_ == nullptr) {
      return CloseNow();
    }
    SendGoaway();  // Idle: ask the client to go, politely.
  }

  void SendGoaway() {
    if (goaway_sent_ || closed_ || closing_) return;
    goaway_sent_ = true;
    nghttp2_submit_goaway(
        session_.get(), NGHTTP2_FLAG_NONE,
        nghttp2_session_get_last_proc_stream_id(session_.get()),
        NGHTTP2_NO_ERROR, nullptr, 0);
    Flush();
  }

  // Once nghttp2 wants neither to read nor to write (our GOAWAY sent and no
  // stream left, or the client's GOAWAY), the connection is done.
  void MaybeFinish() {
    if (closed_ || closing_ || writing_ || session_ == nullptr) return;
    if (nghttp2_session_want_read(session_.get()) ||
        nghttp2_session_want_write(session_.get())) {
      return;
    }
    closing_ = true;
    if constexpr (kTls) {
      timer_.Set(kCloseWait, Self());
      stream_.async_shutdown([self = Self()](error_code) { self->CloseNow(); });
    } else {
      CloseNow();
    }
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    Socket(stream_).close(ignored);
    // Handlers whose response had not ended learn the call is gone.
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [unused, state] : streams) {
      if (state->handler != nullptr && !state->response_ended) {
        try {
          state->handler->OnCancel();
        } catch (const std::exception&) {
          // Nothing more to tell it.
        }
      }
    }
    streams.clear();
    host_->OnConnectionClosed(this);
    timer_.Cancel();  // Last, as the one call here that could throw.
  }

  Stream stream_;
  const net::any_io_executor executor_;
  DeadlineTimer timer_;
  ConnectionHost* const host_;
  const HttpServerOptions& options_;
  const std::string peer_;

  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  absl::flat_hash_map<int32_t, std::unique_ptr<StreamState>> streams_;
  std::array<uint8_t, kReadBufferBytes> read_buffer_;
  std::string out_;                // The write in flight.
  size_t pending_output_ = 0;      // Sum of the streams' pending().
  size_t held_request_bytes_ = 0;  // Sum of the streams' held.
  bool writing_ = false;
  bool got_bytes_ = false;
  bool failed_ = false;
  bool shutting_down_ = false;
  bool notice_sent_ = false;
  bool goaway_sent_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<Connection> NewPlainH2Connection(tcp::socket socket,
                                                 ConnectionHost* host,
                                                 std::string peer) {
  return std::make_shared<H2ConnectionImpl<tcp::socket>>(host, std::move(peer),
                                                         std::move(socket));
}

std::shared_ptr<Connection> NewTlsH2Connection(tcp::socket socket,
                                               net::ssl::context& tls,
                                               ConnectionHost* host,
                                               std::string peer) {
  return std::make_shared<H2ConnectionImpl<SslStream>>(host, std::move(peer),
                                                       std::move(socket), tls);
}

}  // namespace tokend::http::internal
