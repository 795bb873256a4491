#include "tests/testing/postgres_server.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// Processes whose working directory is `dir`: the postmaster and every
// backend chdir to the data directory, whatever their process title says.
std::vector<pid_t> ProcessesIn(const std::string& dir) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = atoi(entry->d_name);
    if (pid <= 0) continue;
    char cwd[4096];
    const ssize_t n = readlink(absl::StrCat("/proc/", pid, "/cwd").c_str(), cwd,
                               sizeof(cwd) - 1);
    if (n <= 0) continue;
    // Once the directory is removed the link reads "<dir> (deleted)".
    const std::string link(cwd, n);
    if (link == dir || link == dir + " (deleted)") pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

std::string DatabaseName(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

TEST(PostgresServerTest, HandsOutDistinctDatabasesAndStopsCleanly) {
  const absl::Time begin = absl::Now();
  absl::StatusOr<std::unique_ptr<PostgresServer>> server =
      PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::cerr << "cluster started in "
            << absl::FormatDuration(absl::Now() - begin) << " on port "
            << (*server)->port() << "\n";
  const std::string dir = (*server)->data_dir();

  absl::StatusOr<std::string> url1 = (*server)->CreateDatabase();
  absl::StatusOr<std::string> url2 = (*server)->CreateDatabase();
  ASSERT_TRUE(url1.ok()) << url1.status();
  ASSERT_TRUE(url2.ok()) << url2.status();
  const std::string prefix =
      absl::StrCat("postgresql://tokend@127.0.0.1:", (*server)->port(), "/");
  EXPECT_THAT(*url1, StartsWith(prefix));
  EXPECT_THAT(*url2, StartsWith(prefix));
  EXPECT_NE(*url1, *url2);
  const std::string db1 = DatabaseName(*url1);
  const std::string db2 = DatabaseName(*url2);

  // Both exist, each answers as itself, and a table in one is not in the
  // other.
  EXPECT_EQ((*server)->Psql(db1, "SELECT 1").value_or("error"), "1");
  EXPECT_EQ((*server)->Psql(db2, "SELECT current_database()").value_or(""),
            db2);
  ASSERT_TRUE((*server)->Psql(db1, "CREATE TABLE t (x int)").ok());
  const std::string count_t =
      "SELECT count(*) FROM pg_tables WHERE tablename = 't'";
  EXPECT_EQ((*server)->Psql(db1, count_t).value_or(""), "1");
  EXPECT_EQ((*server)->Psql(db2, count_t).value_or(""), "0");

  absl::StatusOr<std::string> bad = (*server)->Psql(db1, "SELECT nope");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("nope"));

  // Restart: same port, the data survives an immediate stop.
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ((*server)->Psql(db1, count_t).value_or(""), "1");

  EXPECT_THAT(ProcessesIn(dir), Not(IsEmpty()));
  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_THAT(ProcessesIn(dir), IsEmpty());
  EXPECT_EQ((*server)->Psql(db1, "SELECT 1").status().code(),
            absl::StatusCode::kUnavailable);

  server->reset();
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0) << dir << " still exists";
}

TEST(PostgresServerTest, SharedServerIsStartedOnce) {
  PostgresServer* server = SharedPostgresServer();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(SharedPostgresServer(), server);
  absl::StatusOr<std::string> url = server->CreateDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(server->Psql(DatabaseName(*url), "SELECT 1").value_or(""), "1");
}

// Run only as a child of SharedServerDiesWithTheBinary: uses the shared
// server, prints its data directory, then ends as TOKEND_PG_TEST_END says.
TEST(PostgresServerTest, DISABLED_SharedServerChild) {
  PostgresServer* server = SharedPostgresServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->CreateDatabase().ok());
  std::cout << "data_dir=" << server->data_dir() << std::endl;
  const char* end = getenv("TOKEND_PG_TEST_END");
  // As Bazel's timeout does: no destructors run.
  if (end != nullptr && std::string(end) == "sigterm") raise(SIGTERM);
}

// This binary again, running only DISABLED_SharedServerChild; its output.
std::string RunChild(const std::string& end) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  // The child must not write this run's XML report or premature-exit file.
  const std::string command = absl::StrCat(
      "env -u XML_OUTPUT_FILE -u GTEST_OUTPUT -u TEST_PREMATURE_EXIT_FILE "
      "TOKEND_PG_TEST_END=",
      end, " ", std::string(self, n),
      " --gtest_also_run_disabled_tests"
      " --gtest_filter=PostgresServerTest.DISABLED_SharedServerChild 2>&1");
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buf[4096];
  for (size_t got; (got = fread(buf, 1, sizeof(buf), pipe)) > 0;) {
    out.append(buf, got);
  }
  pclose(pipe);
  return out;
}

TEST(PostgresServerTest, SharedServerDiesWithTheBinary) {
  for (const std::string end : {"exit", "sigterm"}) {
    SCOPED_TRACE(end);
    const std::string out = RunChild(end);
    std::string dir;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::ConsumePrefix(&line, "data_dir=")) dir = std::string(line);
    }
    ASSERT_FALSE(dir.empty()) << out;
    // After SIGTERM the postmaster got SIGQUIT and shuts down on its own.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!ProcessesIn(dir).empty() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_THAT(ProcessesIn(dir), IsEmpty()) << out;
    if (end == "exit") {
      EXPECT_FALSE(std::filesystem::exists(dir)) << out;
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);  // Left behind by SIGTERM.
  }
}

}  // namespace
}  // namespace tokend::testing
