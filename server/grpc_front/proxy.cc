#include "server/grpc_front/proxy.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/slice.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "server/grpc_front/wire.h"
#include "server/policy/client_address.h"

namespace tokend::grpc_front {
namespace {

using http::H2Fields;
using http::H2ResponseStream;
using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

absl::string_view View(grpc::string_ref s) {
  return absl::string_view(s.data(), s.size());
}

void AppendMetadata(const Metadata& metadata, H2Fields* fields) {
  for (const auto& [key, value] : metadata) {
    const absl::string_view name = View(key);
    // The server's own metadata only; never a field HTTP/2 or gRPC owns.
    if (!IsForwardedHeader(name)) continue;
    fields->emplace_back(std::string(name), WireValue(name, View(value)));
  }
}

H2Fields ResponseHeaders(const Metadata* initial_metadata) {
  H2Fields fields = {{":status", "200"},
                     {"content-type", "application/grpc"},
                     {"grpc-accept-encoding", "identity"}};
  if (initial_metadata != nullptr) AppendMetadata(*initial_metadata, &fields);
  return fields;
}

H2Fields Trailers(const grpc::Status& status, const Metadata* metadata) {
  H2Fields fields = {
      {"grpc-status", absl::StrCat(static_cast<int>(status.error_code()))}};
  if (!status.error_message().empty()) {
    fields.emplace_back("grpc-message", PercentEncode(status.error_message()));
  }
  if (!status.error_details().empty()) {
    fields.emplace_back("grpc-status-details-bin",
                        Base64Unpadded(status.error_details()));
  }
  if (metadata != nullptr) AppendMetadata(*metadata, &fields);
  return fields;
}

// A whole response in one HEADERS frame: an error before any message.
void SendTrailersOnly(H2ResponseStream& response, const grpc::Status& status,
                      const Metadata* metadata = nullptr) {
  H2ResponseStream::Output output;
  output.headers = ResponseHeaders(nullptr);
  output.trailers = Trailers(status, metadata);
  response.Send(std::move(output));
}

// An HTTP-level refusal, before anything gRPC (PROTOCOL-HTTP2.md: a
// non-gRPC content-type is 415).
void SendHttpError(H2ResponseStream& response, int http_status,
                   const grpc::Status& status) {
  H2ResponseStream::Output output;
  output.headers = {{":status", absl::StrCat(http_status)},
                    {"content-type", "application/grpc"}};
  output.trailers = Trailers(status, nullptr);
  response.Send(std::move(output));
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

void AppendFramed(const grpc::ByteBuffer& buffer, std::string* out) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  size_t length = 0;
  for (const grpc::Slice& slice : slices) length += slice.size();
  out->reserve(out->size() + 5 + length);
  AppendMessagePrefix(static_cast<uint32_t>(length), out);
  for (const grpc::Slice& slice : slices) {
    out->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
}

grpc::ByteBuffer ToByteBuffer(const std::string& message) {
  grpc::Slice slice(message);
  return grpc::ByteBuffer(&slice, 1);
}

// ---- unary calls ----

struct UnaryCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  std::shared_ptr<H2ResponseStream> out;

  void Complete(const grpc::Status& status) {
    const Metadata& initial = context.GetServerInitialMetadata();
    const Metadata& trailing = context.GetServerTrailingMetadata();
    H2ResponseStream::Output output;
    output.headers = ResponseHeaders(&initial);
    if (status.ok()) AppendFramed(response, &output.data);
    output.trailers = Trailers(status, &trailing);
    out->Send(std::move(output));
  }
};

class UnaryHandler final : public http::H2StreamHandler {
 public:
  UnaryHandler(grpc::GenericStub* stub, std::string method,
               std::unique_ptr<UnaryCall> call, size_t max_message_bytes)
      : stub_(stub),
        method_(std::move(method)),
        pending_(std::move(call)),
        deframer_(max_message_bytes) {}

  size_t OnData(absl::string_view data, bool end_of_stream) override {
    if (pending_ == nullptr) return 0;  // Answered (or started) already.
    if (absl::Status fed = deframer_.Feed(data, &messages_); !fed.ok()) {
      return Refuse(ToGrpc(fed));
    }
    // Refused at the second message, not at the end: a client could send
    // empty messages for ever.
    if (messages_.size() > 1 ||
        (end_of_stream && (messages_.empty() || deframer_.partial()))) {
      return Refuse(grpc::Status(
          grpc::StatusCode::INTERNAL,
          "a unary call's request must be exactly one whole message"));
    }
    if (!end_of_stream) {
      return deframer_.buffered() +
             (messages_.empty() ? 0 : messages_.front().size());
    }
    pending_->request = ToByteBuffer(messages_.front());
    messages_.clear();
    call_ = std::shared_ptr<UnaryCall>(std::move(pending_));
    stub_->UnaryCall(
        &call_->context, method_, grpc::StubOptions(), &call_->request,
        &call_->response,
        [call = call_](grpc::Status status) { call->Complete(status); });
    return 0;
  }

  void OnCancel() override {
    if (call_ != nullptr) call_->context.TryCancel();
  }

 private:
  size_t Refuse(const grpc::Status& status) {
    SendTrailersOnly(*pending_->out, status);
    pending_.reset();
    messages_.clear();
    return 0;
  }

  grpc::GenericStub* const stub_;
  const std::string method_;
  std::unique_ptr<UnaryCall> pending_;  // Until the call starts.
  std::shared_ptr<UnaryCall> call_;     // Once started.
  MessageDeframer deframer_;
  std::vector<std::string> messages_;
};

// ---- streaming calls (server reflection; unknown methods) ----

// Lives until OnDone (it holds itself); the stream's handler holds it too,
// to pass messages on and to cancel. A hold (AddHold) keeps OnDone, and the
// end of gRPC's stream object, from coming while a write may still start;
// it is released once no more writes will (half-close sent, the call over,
// or failed).
class StreamingCall final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamingCall(std::shared_ptr<H2ResponseStream> out, size_t max_queued_bytes)
      : out_(std::move(out)), max_queued_bytes_(max_queued_bytes) {}

  grpc::ClientContext& context() { return context_; }

  void Start(grpc::GenericStub* stub, const std::string& method,
             std::shared_ptr<StreamingCall> self) {
    self_ = std::move(self);
    stub->PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(),
                                   this);
    AddHold();
    StartRead(&read_);
    StartCall();
  }

  // From the connection's thread: request messages, then the half-close.
  void Write(std::vector<std::string> messages, bool end_of_stream) {
    bool overflow = false;
    {
      absl::MutexLock lock(&mu_);
      if (stop_writing_) return;
      for (std::string& message : messages) {
        queued_bytes_ += Cost(message.size());
        queue_.push_back(ToByteBuffer(message));
      }
      overflow = queued_bytes_ > max_queued_bytes_;
      if (end_of_stream) half_closed_ = true;
    }
    if (overflow) {
      return Fail(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "the client sent faster than the call reads"));
    }
    WriteNext();
  }

  // Ends the call with `status` (a bad request message), whatever the
  // server says.
  void Fail(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (!failed_.has_value()) failed_ = std::move(status);
    }
    Cancel();
  }

  // What the call holds of the client's messages, not yet taken by the
  // server.
  size_t queued_bytes() {
    absl::MutexLock lock(&mu_);
    return queued_bytes_;
  }

  // The client went away (or Fail). Thread-safe, like TryCancel.
  void Cancel() {
    {
      absl::MutexLock lock(&mu_);
      stop_writing_ = true;
    }
    context_.TryCancel();
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      queued_bytes_ -= current_size_;
      if (!ok) stop_writing_ = true;  // The call is over; OnDone follows.
    }
    WriteNext();
  }

  // Headers go first, once, when the server's initial metadata is in; a
  // message read before that waits in held_data_ (the metadata map must
  // not be read before this reaction: gRPC fills it on another thread).
  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;  // Trailers-only: OnDone answers.
    absl::MutexLock lock(&mu_);
    H2ResponseStream::Output output;
    output.headers = ResponseHeaders(&context_.GetServerInitialMetadata());
    output.data = std::move(held_data_);
    headers_sent_ = true;
    out_->Send(std::move(output));
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The server has finished: nothing more to write.
      {
        absl::MutexLock lock(&mu_);
        stop_writing_ = true;
      }
      return WriteNext();
    }
    {
      absl::MutexLock lock(&mu_);
      if (headers_sent_) {
        H2ResponseStream::Output output;
        AppendFramed(read_, &output.data);
        out_->Send(std::move(output));
      } else {
        AppendFramed(read_, &held_data_);
      }
    }
    StartRead(&read_);
  }

  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<StreamingCall> self;
    absl::MutexLock lock(&mu_);
    const grpc::Status& final_status = failed_.has_value() ? *failed_ : status;
    const Metadata& trailing = context_.GetServerTrailingMetadata();
    H2ResponseStream::Output output;
    if (!headers_sent_) {
      output.headers = ResponseHeaders(nullptr);
      output.data = std::move(held_data_);
    }
    headers_sent_ = true;
    output.trailers = Trailers(final_status, &trailing);
    out_->Send(std::move(output));
    self = std::move(self_);  // Released after the lock (declared first).
  }

 private:
  // What a queued message costs: empty ones are not free.
  static size_t Cost(size_t message_bytes) {
    // A grpc_byte_buffer with its slice buffer is some 300 bytes.
    return message_bytes + 320;
  }

  // Starts the next write or the half-close, or releases the hold, outside
  // the lock: gRPC may run OnWriteDone (even OnDone, once the hold is gone)
  // before the call returns.
  void WriteNext() {
    bool write = false;
    bool writes_done = false;
    {
      absl::MutexLock lock(&mu_);
      if (!holding_ || writing_) return;
      if (stop_writing_) {
        holding_ = false;
      } else if (!queue_.empty()) {
        writing_ = true;
        current_ = std::move(queue_.front());
        queue_.pop_front();
        current_size_ = Cost(current_.Length());
        write = true;
      } else if (half_closed_) {
        holding_ = false;
        writes_done = true;
      } else {
        return;
      }
    }
    if (write) return StartWrite(&current_);
    if (writes_done) StartWritesDone();
    RemoveHold();
  }

  grpc::ClientContext context_;
  const std::shared_ptr<H2ResponseStream> out_;
  const size_t max_queued_bytes_;
  grpc::ByteBuffer read_;
  std::shared_ptr<StreamingCall> self_;  // Until OnDone.

  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer current_;  // The write in flight (writing_).
  size_t current_size_ ABSL_GUARDED_BY(mu_) = 0;
  bool holding_ ABSL_GUARDED_BY(mu_) = true;  // The hold Start added.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  std::string held_data_ ABSL_GUARDED_BY(mu_);  // Read before the headers.
  std::optional<grpc::Status> failed_ ABSL_GUARDED_BY(mu_);
};

class StreamingHandler final : public http::H2StreamHandler {
 public:
  // `single_request`: a server-streaming method, whose client sends one
  // message.
  StreamingHandler(std::shared_ptr<StreamingCall> call,
                   size_t max_message_bytes, bool single_request)
      : call_(std::move(call)),
        deframer_(max_message_bytes),
        single_request_(single_request) {}

  size_t OnData(absl::string_view data, bool end_of_stream) override {
    if (failed_) return 0;
    std::vector<std::string> messages;
    if (absl::Status fed = deframer_.Feed(data, &messages); !fed.ok()) {
      return Fail(ToGrpc(fed));
    }
    received_ += messages.size();
    if (single_request_ &&
        (received_ > 1 || (end_of_stream && received_ == 0))) {
      return Fail(grpc::Status(
          grpc::StatusCode::INTERNAL,
          "a server-streaming call's request must be exactly one message"));
    }
    if (end_of_stream && deframer_.partial()) {
      return Fail(grpc::Status(grpc::StatusCode::INTERNAL,
                               "the request ended inside a message"));
    }
    if (!messages.empty() || end_of_stream) {
      call_->Write(std::move(messages), end_of_stream);
    }
    return deframer_.buffered() + call_->queued_bytes();
  }

  void OnCancel() override { call_->Cancel(); }

 private:
  size_t Fail(grpc::Status status) {
    failed_ = true;
    call_->Fail(std::move(status));
    return 0;
  }

  const std::shared_ptr<StreamingCall> call_;
  MessageDeframer deframer_;
  const bool single_request_;
  size_t received_ = 0;
  bool failed_ = false;
};

// Answers nothing more: the response is already on its way.
class DoneHandler final : public http::H2StreamHandler {
 public:
  size_t OnData(absl::string_view, bool) override { return 0; }
  void OnCancel() override {}
};

const std::string* FindHeader(const http::H2Request& request,
                              absl::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (field == name) return &value;
  }
  return nullptr;
}

}  // namespace

GrpcProxy::GrpcProxy(GrpcProxyOptions options)
    : options_(std::move(options)),
      methods_([&] {
        absl::flat_hash_map<std::string, Shape> methods;
        for (const google::protobuf::ServiceDescriptor* service :
             options_.services) {
          if (service == nullptr) continue;
          for (int i = 0; i < service->method_count(); ++i) {
            const google::protobuf::MethodDescriptor* method =
                service->method(i);
            methods[absl::StrCat("/", service->full_name(), "/",
                                 method->name())] =
                method->client_streaming()   ? Shape::kClientStreaming
                : method->server_streaming() ? Shape::kServerStreaming
                                             : Shape::kUnary;
          }
        }
        return methods;
      }()),
      stub_(options_.channel) {}

std::unique_ptr<http::H2StreamHandler> GrpcProxy::OnRequest(
    http::H2Request request, std::shared_ptr<H2ResponseStream> response) {
  if (request.headers_too_large) {
    SendTrailersOnly(*response,
                     grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  "the request's header block is too large"));
    return std::make_unique<DoneHandler>();
  }
  if (request.method != "POST") {
    SendHttpError(*response, 405,
                  grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               "gRPC calls are POST requests"));
    return std::make_unique<DoneHandler>();
  }
  const std::string* content_type = FindHeader(request, "content-type");
  if (content_type == nullptr ||
      !absl::StartsWith(*content_type, "application/grpc") ||
      absl::StartsWith(*content_type, "application/grpc-web")) {
    SendHttpError(*response, 415,
                  grpc::Status(grpc::StatusCode::INTERNAL,
                               "content-type must be application/grpc"));
    return std::make_unique<DoneHandler>();
  }
  if (request.path.size() < 4 || request.path.front() != '/' ||
      request.path.find('/', 1) == std::string::npos) {
    SendTrailersOnly(*response, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                             "the path names no gRPC method"));
    return std::make_unique<DoneHandler>();
  }

  auto prepare = [&](grpc::ClientContext& context) {
    absl::string_view forwarded_for;
    for (const auto& [name, value] : request.headers) {
      if (name == "x-forwarded-for") forwarded_for = value;
    }
    context.AddMetadata(server::kClientAddressMetadata,
                        server::ForwardedClient(request.peer, forwarded_for,
                                                options_.trusted_proxies));
    for (const auto& [name, wire_value] : request.headers) {
      if (name == "grpc-timeout") {
        std::optional<absl::Duration> timeout = ParseGrpcTimeout(wire_value);
        if (timeout.has_value() && *timeout <= options_.max_timeout) {
          context.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
        }
        continue;
      }
      if (!IsForwardedHeader(name)) continue;
      std::optional<std::string> value = MetadataValue(name, wire_value);
      if (value.has_value()) context.AddMetadata(name, *value);
    }
  };

  const auto method = methods_.find(request.path);
  const Shape shape =
      method == methods_.end() ? Shape::kClientStreaming : method->second;
  if (shape == Shape::kUnary) {
    auto call = std::make_unique<UnaryCall>();
    call->out = std::move(response);
    prepare(call->context);
    return std::make_unique<UnaryHandler>(&stub_, std::move(request.path),
                                          std::move(call),
                                          options_.max_message_bytes);
  }
  auto call = std::make_shared<StreamingCall>(std::move(response),
                                              options_.max_queued_bytes);
  prepare(call->context());
  call->Start(&stub_, request.path, call);
  return std::make_unique<StreamingHandler>(
      std::move(call), options_.max_message_bytes,
      /*single_request=*/shape == Shape::kServerStreaming);
}

}  // namespace tokend::grpc_front
