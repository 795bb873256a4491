// ReflectionDescriptorDatabase: a protobuf DescriptorDatabase that fetches
// FileDescriptorProtos from a server over gRPC server reflection, so loadgen
// can build requests for services it was not compiled with.
//
// Debian's gRPC ships only the server side of reflection; this is the client.
// It speaks grpc.reflection.v1alpha (what gRPC 1.51 servers offer) and falls
// back to grpc.reflection.v1 when the server answers UNIMPLEMENTED.
//
// Usage:
//   ReflectionDescriptorDatabase db(channel);
//   google::protobuf::DescriptorPool pool(&db);
//   const auto* service = pool.FindServiceByName("pkg.Service");
//   if (service == nullptr) ... db.last_error() says why ...
//
// Not thread-safe (a DescriptorPool serializes its calls into the database).
#ifndef TOKEND_TOOLS_LOADGEN_REFLECTION_CLIENT_H_
#define TOKEND_TOOLS_LOADGEN_REFLECTION_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "grpcpp/channel.h"

namespace tokend::loadgen {

namespace v1 {
class ServerReflectionRequest;
class ServerReflectionResponse;
}  // namespace v1

class ReflectionStream;

class ReflectionDescriptorDatabase final
    : public google::protobuf::DescriptorDatabase {
 public:
  // `timeout` bounds the whole reflection stream.
  explicit ReflectionDescriptorDatabase(
      std::shared_ptr<grpc::Channel> channel,
      absl::Duration timeout = absl::Seconds(10));
  ~ReflectionDescriptorDatabase() override;

  ReflectionDescriptorDatabase(const ReflectionDescriptorDatabase&) = delete;
  ReflectionDescriptorDatabase& operator=(const ReflectionDescriptorDatabase&) =
      delete;

  bool FindFileByName(const std::string& filename,
                      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingSymbol(
      const std::string& symbol_name,
      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingExtension(
      const std::string& containing_type, int field_number,
      google::protobuf::FileDescriptorProto* output) override;

  // The fully-qualified names of the services the server lists.
  absl::StatusOr<std::vector<std::string>> ListServices();

  // Why the last lookup failed: a transport error (e.g. UNIMPLEMENTED when the
  // server has no reflection, UNAVAILABLE) or the server's reflection error
  // (e.g. NOT_FOUND for an unknown symbol). OK after a successful lookup.
  const absl::Status& last_error() const { return last_error_; }

 private:
  // One request/response exchange on the (lazily opened) stream.
  absl::StatusOr<v1::ServerReflectionResponse> Exchange(
      const v1::ServerReflectionRequest& request);
  // Caches the files of a file_descriptor_response; returns the first one's
  // name.
  absl::StatusOr<std::string> AddFiles(
      const v1::ServerReflectionResponse& response);
  bool LookUp(const v1::ServerReflectionRequest& request,
              google::protobuf::FileDescriptorProto* output);

  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration timeout_;
  std::unique_ptr<ReflectionStream> stream_;
  bool tried_v1_ = false;
  std::map<std::string, google::protobuf::FileDescriptorProto> files_;
  absl::Status last_error_;
};

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_REFLECTION_CLIENT_H_
