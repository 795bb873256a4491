// AuditLog under concurrent calls and failed writes: every
// line is written or counted lost, and the chain in the files stays whole.
#include "server/audit/audit_log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/audit/audit_chain.h"
#include "core/common/clock.h"
#include "gtest/gtest.h"

namespace tokend::server {
namespace {

constexpr char kSecret[] = "tkau_audit-log-test-key-0123456789";

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", getpid());
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

audit::AuditKeys Keys() { return *audit::AuditKeys::FromSecret(kSecret); }

// Checks `files` in order as one chain; returns the lines checked, -1 when
// it breaks.
int64_t ChainedLines(const std::vector<std::string>& files) {
  const audit::AuditKeys keys = Keys();
  audit::ChainVerifier verifier(keys);
  for (const std::string& file : files) {
    for (const std::string& line : Lines(file)) {
      absl::Status s = verifier.Next(line);
      if (!s.ok()) {
        ADD_FAILURE() << file << ": " << s << "\n" << line;
        return -1;
      }
    }
  }
  return verifier.lines();
}

uint64_t Metric(const AuditLog& log, absl::string_view name) {
  std::string text;
  log.AppendMetrics(&text);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, absl::StrCat(name, " "))) {
      return std::stoull(std::string(line.substr(name.size() + 1)));
    }
  }
  ADD_FAILURE() << "no " << name;
  return 0;
}

TEST(AuditLogTest, ConcurrentCallsEachGetTheirLineInOneChain) {
  const std::string path = TempPath("concurrent.log");
  std::remove(path.c_str());
  {
    auto log = AuditLog::Open(path, Keys(), RealClock::Get());
    ASSERT_TRUE(log.ok()) << log.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i) {
          (*log)->Append("change", absl::StrCat(",\"t\":", t, ",\"i\":", i));
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(Metric(**log, "tokend_audit_lines_total"), 1 + 8 * 500);
    EXPECT_EQ(Metric(**log, "tokend_audit_write_failures_total"), 0);
  }
  EXPECT_EQ(ChainedLines({path}), 1 + 8 * 500);
  // Each thread's lines in the order it appended them.
  std::vector<int> next(8, 0);
  for (const std::string& line : Lines(path)) {
    const size_t t = line.find("\"t\":");
    if (t == std::string::npos) continue;
    const int thread = line[t + 4] - '0';
    EXPECT_NE(line.find(absl::StrCat("\"i\":", next[thread], "}")),
              std::string::npos)
        << line;
    ++next[thread];
  }
}

// While calls append, the log is reopened onto a device that refuses every
// write (a full disk), then onto a new file. Whatever interleaving occurs,
// each line is written or counted lost, and the two files are one chain.
TEST(AuditLogTest, LinesLostToAFailedWriteLeaveTheChainWhole) {
  const std::string link = TempPath("rotating.log");
  const std::string first = link + ".1", second = link + ".2";
  for (const std::string& p : {link, first, second}) std::remove(p.c_str());
  ASSERT_EQ(symlink(first.c_str(), link.c_str()), 0);
  uint64_t written = 0, lost = 0;
  {
    auto log = AuditLog::Open(link, Keys(), RealClock::Get());
    ASSERT_TRUE(log.ok()) << log.status();
    std::atomic<bool> stop{false};
    std::atomic<int> appended{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (!stop.load()) {
          (*log)->Append("change", ",\"n\":1");
          appended.fetch_add(1);
        }
      });
    }
    auto retarget = [&](const std::string& to) {
      std::remove(link.c_str());
      ASSERT_EQ(symlink(to.c_str(), link.c_str()), 0);
      (void)(*log)->Reopen();
    };
    auto after = [&](int more) {
      const int target = appended.load() + more;
      while (appended.load() < target) std::this_thread::yield();
    };
    after(200);
    retarget("/dev/full");
    after(200);
    EXPECT_FALSE((*log)->healthy());
    retarget(second);
    after(200);
    stop = true;
    for (std::thread& t : threads) t.join();
    EXPECT_TRUE((*log)->healthy());
    written = Metric(**log, "tokend_audit_lines_total");
    lost = Metric(**log, "tokend_audit_write_failures_total");
    // Every line: 3 openings and the calls'.
    EXPECT_EQ(written + lost, 3 + static_cast<uint64_t>(appended.load()));
    EXPECT_GE(lost, 200u);
  }
  EXPECT_EQ(static_cast<uint64_t>(ChainedLines({first, second})), written);
  std::remove(link.c_str());
}

}  // namespace
}  // namespace tokend::server
