#include "server/metrics.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCreate[] = "/yandex.cloud.iam.v1.IamTokenService/Create";
constexpr char kVerify[] = "/tokend.verify.v1.VerificationService/Verify";

Metrics MakeMetrics() {
  MetricsOptions options;
  options.methods = {kCreate, kVerify};
  options.token_kinds = {{kCreate, "iam"}};
  return Metrics(std::move(options));
}

TEST(MetricsTest, CountsByMethodAndCode) {
  Metrics metrics = MakeMetrics();
  metrics.RecordCall(kCreate, grpc::StatusCode::OK, absl::Microseconds(300));
  metrics.RecordCall(kCreate, grpc::StatusCode::OK, absl::Microseconds(300));
  metrics.RecordCall(kCreate, grpc::StatusCode::UNAUTHENTICATED,
                     absl::Microseconds(50));
  metrics.RecordCall("/unknown.Service/Method", grpc::StatusCode::UNIMPLEMENTED,
                     absl::Microseconds(5));
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE tokend_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("tokend_requests_total{method=\"",
                                           kCreate, "\",code=\"OK\"} 2\n")));
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("tokend_requests_total{method=\"", kCreate,
                                     "\",code=\"UNAUTHENTICATED\"} 1\n")));
  EXPECT_THAT(text, HasSubstr("tokend_requests_total{method=\"other\",code="
                              "\"UNIMPLEMENTED\"} 1\n"));
  // Verify had no calls: no series for it.
  EXPECT_THAT(text, Not(HasSubstr(kVerify)));
  // Only OK calls of an issuing method count as tokens.
  EXPECT_THAT(text, HasSubstr("tokend_tokens_issued_total{kind=\"iam\"} 2\n"));
}

TEST(MetricsTest, HistogramIsCumulativeWithSumAndCount) {
  Metrics metrics = MakeMetrics();
  metrics.RecordCall(kVerify, grpc::StatusCode::OK, absl::Microseconds(100));
  metrics.RecordCall(kVerify, grpc::StatusCode::OK, absl::Microseconds(400));
  metrics.RecordCall(kVerify, grpc::StatusCode::OK, absl::Seconds(10));
  const std::string text = metrics.RenderPrometheus();
  const std::string prefix = absl::StrCat(
      "tokend_request_duration_seconds_bucket{method=\"", kVerify, "\",le=\"");
  // 100 µs is <= the 0.0001 bound (le is inclusive).
  EXPECT_THAT(text, HasSubstr(prefix + "0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "0.0005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "tokend_request_duration_seconds_sum{method=\"",
                        kVerify, "\"} 10.000500000\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "tokend_request_duration_seconds_count{method=\"",
                        kVerify, "\"} 3\n")));
  EXPECT_THAT(text, HasSubstr("tokend_tokens_issued_total{kind=\"iam\"} 0\n"));
}

TEST(MetricsTest, OutOfRangeCodeCountsAsUnknownAndExtraIsAppended) {
  Metrics metrics = MakeMetrics();
  metrics.RecordCall(kVerify, static_cast<grpc::StatusCode>(99),
                     absl::Microseconds(1));
  const std::string text = metrics.RenderPrometheus([](std::string* out) {
    *out += "tokend_signing_keys{slot=\"iam\"} 2\n";
  });
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("tokend_requests_total{method=\"", kVerify,
                                     "\",code=\"UNKNOWN\"} 1\n")));
  EXPECT_THAT(text,
              ::testing::EndsWith("tokend_signing_keys{slot=\"iam\"} 2\n"));
}

}  // namespace
}  // namespace tokend::server
