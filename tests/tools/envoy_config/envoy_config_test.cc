// Runs tools/envoy_config and checks what an Envoy would load: a descriptor
// set that builds into a fresh pool on its own (imports included, in order)
// and carries the served services with their google.api.http rules, and a
// filter entry naming exactly those services and that file.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/served_services.h"
#include "tests/testing/tokend_process.h"

namespace tokend {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(EnvoyConfigTest, DescriptorSetAndFilterConfig) {
  const std::string dir = testing::MakeTempDir("envoy_config");
  const std::string pb = dir + "/tokend.pb";
  const std::string config = dir + "/filter.json";
  const std::string command =
      absl::StrCat(testing::Runfile("tokend/tools/envoy_config/envoy_config"),
                   " --descriptor_out=", pb, " --config_out=", config,
                   " --descriptor_path=/etc/envoy/tokend.pb");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(ReadAll(pb)));
  // A pool with nothing but this set: every import must be in it, before
  // the files that import it.
  google::protobuf::DescriptorPool pool;
  for (const auto& file : set.file()) {
    ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  }
  for (const std::string& name : server::ServedServiceNames()) {
    EXPECT_NE(pool.FindServiceByName(name), nullptr) << name;
  }
  // The REST rule survives as an option of the method.
  bool found = false;
  for (const auto& file : set.file()) {
    for (const auto& service : file.service()) {
      if (service.name() != "IamTokenService") continue;
      for (const auto& method : service.method()) {
        if (method.name() != "Create") continue;
        const google::api::HttpRule& rule =
            method.options().GetExtension(google::api::http);
        EXPECT_EQ(rule.post(), "/iam/v1/tokens");
        EXPECT_EQ(rule.body(), "*");
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << "IamTokenService.Create not in the set";

  nlohmann::json filter = nlohmann::json::parse(ReadAll(config));
  EXPECT_EQ(filter["name"], "envoy.filters.http.grpc_json_transcoder");
  const nlohmann::json& typed = filter["typed_config"];
  EXPECT_EQ(typed["@type"],
            "type.googleapis.com/envoy.extensions.filters.http."
            "grpc_json_transcoder.v3.GrpcJsonTranscoder");
  EXPECT_EQ(typed["proto_descriptor"], "/etc/envoy/tokend.pb");
  EXPECT_EQ(typed["services"].get<std::vector<std::string>>(),
            server::ServedServiceNames());
  EXPECT_EQ(typed["convert_grpc_status"], true);
  // The union of the methods' (tokend.api.v1.ignored_parameters): what
  // clerk-js adds to Frontend API calls.
  const auto ignored =
      typed["ignored_query_parameters"].get<std::vector<std::string>>();
  for (const char* name :
       {"__clerk_api_version", "_clerk_js_version", "_is_native", "debug"}) {
    EXPECT_THAT(ignored, ::testing::Contains(name));
  }
  EXPECT_THAT(ignored, ::testing::Not(::testing::Contains("service")));
  EXPECT_EQ(typed["print_options"]["preserve_proto_field_names"], false);
}

}  // namespace
}  // namespace tokend
