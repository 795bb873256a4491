#include "tools/loadgen/reflection_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "tokend/loadgen/v1/reflection_wire.pb.h"

namespace tokend::loadgen {
namespace {

constexpr char kV1AlphaMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
constexpr char kV1Method[] =
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace

// A synchronous bidirectional stream over the generic async API: one
// operation at a time on a private completion queue.
class ReflectionStream {
 public:
  ReflectionStream(std::shared_ptr<grpc::Channel> channel,
                   const std::string& method, absl::Duration timeout)
      : stub_(std::move(channel)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    call_ = stub_.PrepareCall(&context_, method, &cq_);
    call_->StartCall(this);
    started_ = Wait();
  }

  ~ReflectionStream() {
    if (!finished_) {
      context_.TryCancel();
      Finish().IgnoreError();
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  ReflectionStream(const ReflectionStream&) = delete;
  ReflectionStream& operator=(const ReflectionStream&) = delete;

  // Sends one message and reads one back. On failure the stream is over and
  // the error is its final status.
  absl::StatusOr<std::string> Exchange(const std::string& request) {
    if (finished_) return final_status_;
    if (!started_) return Finish();
    grpc::Slice slice(request);
    grpc::ByteBuffer out(&slice, 1);
    call_->Write(out, this);
    if (!Wait()) return Finish();
    grpc::ByteBuffer in;
    call_->Read(&in, this);
    if (!Wait()) return Finish();
    std::vector<grpc::Slice> slices;
    if (!in.Dump(&slices).ok()) {
      return absl::InternalError("reflection: cannot read the response");
    }
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return bytes;
  }

 private:
  bool Wait() {
    void* tag;
    bool ok = false;
    if (!cq_.Next(&tag, &ok)) return false;
    return ok;
  }

  // Collects the final status; never OK-without-reason for a broken stream.
  absl::Status Finish() {
    if (finished_) return final_status_;
    finished_ = true;
    grpc::Status status;
    call_->Finish(&status, this);
    Wait();
    final_status_ = FromGrpc(status);
    if (final_status_.ok()) {
      final_status_ = absl::UnavailableError(
          "reflection: the server closed the stream without an answer");
    }
    return final_status_;
  }

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
  bool finished_ = false;
  absl::Status final_status_;
};

ReflectionDescriptorDatabase::ReflectionDescriptorDatabase(
    std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : channel_(std::move(channel)), timeout_(timeout) {}

ReflectionDescriptorDatabase::~ReflectionDescriptorDatabase() = default;

absl::StatusOr<v1::ServerReflectionResponse>
ReflectionDescriptorDatabase::Exchange(
    const v1::ServerReflectionRequest& request) {
  const std::string bytes = request.SerializeAsString();
  for (;;) {
    if (stream_ == nullptr) {
      stream_ = std::make_unique<ReflectionStream>(
          channel_, tried_v1_ ? kV1Method : kV1AlphaMethod, timeout_);
    }
    absl::StatusOr<std::string> answer = stream_->Exchange(bytes);
    if (answer.ok()) {
      v1::ServerReflectionResponse response;
      if (!response.ParseFromString(*answer)) {
        return absl::InternalError(
            "reflection: the server's response does not parse");
      }
      return response;
    }
    stream_.reset();  // the next lookup opens a new stream
    if (answer.status().code() == absl::StatusCode::kUnimplemented &&
        !tried_v1_) {
      tried_v1_ = true;  // an older or newer server: try the other version
      continue;
    }
    return absl::Status(
        answer.status().code(),
        absl::StrCat("server reflection: ", answer.status().message()));
  }
}

absl::StatusOr<std::string> ReflectionDescriptorDatabase::AddFiles(
    const v1::ServerReflectionResponse& response) {
  if (response.has_error_response()) {
    return absl::Status(
        static_cast<absl::StatusCode>(response.error_response().error_code()),
        absl::StrCat("server reflection: ",
                     response.error_response().error_message()));
  }
  if (!response.has_file_descriptor_response() ||
      response.file_descriptor_response().file_descriptor_proto_size() == 0) {
    return absl::InternalError(
        "server reflection: expected file descriptors in the response");
  }
  std::string first;
  for (const std::string& bytes :
       response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) {
      return absl::InternalError(
          "server reflection: a FileDescriptorProto does not parse");
    }
    if (first.empty()) first = file.name();
    std::string name = file.name();
    files_.emplace(std::move(name), std::move(file));
  }
  return first;
}

bool ReflectionDescriptorDatabase::LookUp(
    const v1::ServerReflectionRequest& request,
    google::protobuf::FileDescriptorProto* output) {
  absl::StatusOr<v1::ServerReflectionResponse> response = Exchange(request);
  if (!response.ok()) {
    last_error_ = response.status();
    return false;
  }
  absl::StatusOr<std::string> name = AddFiles(*response);
  if (!name.ok()) {
    last_error_ = name.status();
    return false;
  }
  *output = files_.at(*name);
  last_error_ = absl::OkStatus();
  return true;
}

bool ReflectionDescriptorDatabase::FindFileByName(
    const std::string& filename,
    google::protobuf::FileDescriptorProto* output) {
  auto it = files_.find(filename);
  if (it != files_.end()) {
    *output = it->second;
    return true;
  }
  v1::ServerReflectionRequest request;
  request.set_file_by_filename(filename);
  return LookUp(request, output);
}

bool ReflectionDescriptorDatabase::FindFileContainingSymbol(
    const std::string& symbol_name,
    google::protobuf::FileDescriptorProto* output) {
  v1::ServerReflectionRequest request;
  request.set_file_containing_symbol(symbol_name);
  return LookUp(request, output);
}

bool ReflectionDescriptorDatabase::FindFileContainingExtension(
    const std::string& containing_type, int field_number,
    google::protobuf::FileDescriptorProto* output) {
  v1::ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(
      containing_type);
  request.mutable_file_containing_extension()->set_extension_number(
      field_number);
  return LookUp(request, output);
}

absl::StatusOr<std::vector<std::string>>
ReflectionDescriptorDatabase::ListServices() {
  v1::ServerReflectionRequest request;
  request.set_list_services("*");
  absl::StatusOr<v1::ServerReflectionResponse> response = Exchange(request);
  if (!response.ok()) return response.status();
  if (response->has_error_response()) {
    return absl::Status(
        static_cast<absl::StatusCode>(response->error_response().error_code()),
        absl::StrCat("server reflection: ",
                     response->error_response().error_message()));
  }
  std::vector<std::string> names;
  for (const auto& service : response->list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

}  // namespace tokend::loadgen
