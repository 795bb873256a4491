#include "server/json_struct.h"

#include "gtest/gtest.h"

namespace tokend::server {
namespace {

TEST(JsonStruct, ConvertsEveryJsonType) {
  auto json = nlohmann::json::parse(
      R"({"s":"x","i":1700000000,"f":1.5,"neg":-3,"t":true,"n":null,
          "a":["u",2,[]],"o":{"k":{"deep":false}},"e":{}})");
  google::protobuf::Struct s;
  JsonToStruct(json, &s);
  const auto& f = s.fields();
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(f.at("s").string_value(), "x");
  EXPECT_EQ(f.at("i").number_value(), 1700000000.0);
  EXPECT_EQ(f.at("f").number_value(), 1.5);
  EXPECT_EQ(f.at("neg").number_value(), -3.0);
  EXPECT_TRUE(f.at("t").bool_value());
  EXPECT_EQ(f.at("n").kind_case(), google::protobuf::Value::kNullValue);
  const auto& a = f.at("a").list_value();
  ASSERT_EQ(a.values_size(), 3);
  EXPECT_EQ(a.values(0).string_value(), "u");
  EXPECT_EQ(a.values(1).number_value(), 2.0);
  EXPECT_EQ(a.values(2).kind_case(), google::protobuf::Value::kListValue);
  EXPECT_EQ(a.values(2).list_value().values_size(), 0);
  EXPECT_EQ(f.at("o")
                .struct_value()
                .fields()
                .at("k")
                .struct_value()
                .fields()
                .at("deep")
                .kind_case(),
            google::protobuf::Value::kBoolValue);
  EXPECT_EQ(f.at("e").kind_case(), google::protobuf::Value::kStructValue);
}

TEST(JsonStruct, NonObjectGivesEmptyStruct) {
  google::protobuf::Struct s;
  JsonToStruct(nlohmann::json::array({1, 2}), &s);
  EXPECT_TRUE(s.fields().empty());
}

}  // namespace
}  // namespace tokend::server
