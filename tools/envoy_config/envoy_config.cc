// envoy_config: for meshes that transcode REST at the sidecar instead of
// through tokend's gateway. Writes
//   --descriptor_out  a FileDescriptorSet of every served service with all its
//                     imports (what `protoc --include_imports` writes), and
//   --config_out      an Envoy HTTP filter entry (JSON, also valid YAML) for
//                     envoy.filters.http.grpc_json_transcoder naming those
//                     services and that descriptor file.
// Both come from the descriptors compiled into this binary, i.e. from the
// same google.api.http rules tokend's own gateway serves.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "google/protobuf/descriptor.pb.h"
#include "nlohmann/json.hpp"
#include "server/served_services.h"
#include "tokend/api/v1/gateway.pb.h"

ABSL_FLAG(std::string, descriptor_out, "tokend.pb",
          "Where to write the FileDescriptorSet.");
ABSL_FLAG(std::string, config_out, "-",
          "Where to write the filter configuration ('-' = stdout).");
ABSL_FLAG(std::string, descriptor_path, "",
          "proto_descriptor as Envoy will see it (default: --descriptor_out).");

namespace {

using google::protobuf::FileDescriptor;

// Dependencies before dependents, each file once: the order protoc writes
// and DescriptorPool::BuildFile needs.
void AddFile(const FileDescriptor* file, std::set<std::string>* seen,
             google::protobuf::FileDescriptorSet* out) {
  if (!seen->insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFile(file->dependency(i), seen, out);
  }
  file->CopyTo(out->add_file());
}

bool WriteFile(const std::string& path, const std::string& content) {
  if (path == "-") {
    return std::fwrite(content.data(), 1, content.size(), stdout) ==
           content.size();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return out.good();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes a descriptor set and an Envoy grpc_json_transcoder filter "
      "configuration for tokend's services.");
  absl::ParseCommandLine(argc, argv);
  const std::string descriptor_out = absl::GetFlag(FLAGS_descriptor_out);
  std::string descriptor_path = absl::GetFlag(FLAGS_descriptor_path);
  if (descriptor_path.empty()) descriptor_path = descriptor_out;

  google::protobuf::FileDescriptorSet set;
  std::set<std::string> seen;
  nlohmann::json services = nlohmann::json::array();
  // Envoy's transcoder has one filter-wide list where tokend's gateway has
  // one per method (tokend.api.v1.ignored_parameters): the union.
  std::set<std::string> ignored;
  for (const auto* service : tokend::server::ServedServices()) {
    if (service == nullptr) {
      std::fprintf(stderr, "envoy_config: a served service is not linked\n");
      return 1;
    }
    services.push_back(service->full_name());
    AddFile(service->file(), &seen, &set);
    for (int i = 0; i < service->method_count(); ++i) {
      for (const std::string& name :
           service->method(i)->options().GetRepeatedExtension(
               tokend::api::v1::ignored_parameters)) {
        ignored.insert(name);
      }
    }
  }
  if (!WriteFile(descriptor_out, set.SerializeAsString())) {
    std::fprintf(stderr, "envoy_config: cannot write %s\n",
                 descriptor_out.c_str());
    return 1;
  }

  // Printing as tokend's gateway does (proto3 JSON, json_name, no
  // whitespace); grpc-status-details-bin becomes a google.rpc.Status body.
  nlohmann::json filter = {
      {"name", "envoy.filters.http.grpc_json_transcoder"},
      {"typed_config",
       {{"@type",
         "type.googleapis.com/envoy.extensions.filters.http."
         "grpc_json_transcoder.v3.GrpcJsonTranscoder"},
        {"proto_descriptor", descriptor_path},
        {"services", services},
        {"print_options",
         {{"add_whitespace", false},
          {"always_print_primitive_fields", false},
          {"always_print_enums_as_ints", false},
          {"preserve_proto_field_names", false}}},
        {"ignored_query_parameters", ignored},
        {"convert_grpc_status", true}}}};
  if (!WriteFile(absl::GetFlag(FLAGS_config_out), filter.dump(2) + "\n")) {
    std::fprintf(stderr, "envoy_config: cannot write the configuration\n");
    return 1;
  }
  return 0;
}
