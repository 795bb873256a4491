#include "server/data_dir.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/tokend_process.h"

namespace tokend::server {
namespace {

using ::testing::HasSubstr;

TEST(DataDirPermissionsTest, OthersMayNotWriteAndTheDatabaseIsPrivate) {
  const std::string dir = testing::MakeTempDir("perms");
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  auto warnings = CheckDataDirPermissions(dir);
  ASSERT_TRUE(warnings.ok()) << warnings.status();
  EXPECT_TRUE(warnings->empty());

  std::ofstream(dir + "/tokend.db") << "x";
  ASSERT_EQ(chmod((dir + "/tokend.db").c_str(), 0644), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0770), 0);
  warnings = CheckDataDirPermissions(dir);
  ASSERT_TRUE(warnings.ok()) << warnings.status();
  ASSERT_EQ(warnings->size(), 2u);
  EXPECT_THAT((*warnings)[0], HasSubstr("writable by its group"));
  EXPECT_THAT((*warnings)[1], HasSubstr("tokend.db is accessible"));

  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  auto refused = CheckDataDirPermissions(dir);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("chmod 700"));
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
}

// The real binary refuses a world-writable data directory before binding.
TEST(DataDirPermissionsTest, TokendRefusesAWorldWritableDataDir) {
  const std::string dir = testing::MakeTempDir("open_dir");
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  auto exited = testing::TokendProcess::RunUntilExit(dir, {});
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_NE(exited->exit_code, 0);
  EXPECT_FALSE(exited->ready);
  EXPECT_THAT(exited->log, HasSubstr("writable by other users"));
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
}

TEST(DataDirLockTest, OneHolderAtATime) {
  const std::string dir = testing::MakeTempDir("lock");
  absl::StatusOr<DataDirLock> first = DataDirLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status();

  // flock belongs to the open file, so a second open in this process
  // conflicts exactly as another process would.
  absl::StatusOr<DataDirLock> second = DataDirLock::Acquire(dir);
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another tokend"));
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("(pid ", getpid(), ")")));

  // Released with the holder.
  { DataDirLock moved = *std::move(first); }
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());
}

// A holder killed with SIGKILL leaves no stale lock behind.
TEST(DataDirLockTest, ACrashedHolderReleasesTheLock) {
  const std::string dir = testing::MakeTempDir("lock-crash");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(dir);
    const char byte = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &byte, 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  ASSERT_EQ(byte, 'y');
  absl::StatusOr<DataDirLock> taken = DataDirLock::Acquire(dir);
  EXPECT_THAT(taken.status().message(),
              HasSubstr(absl::StrCat("(pid ", child, ")")));

  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());
}

TEST(DefaultIssuerTest, NamesAnAddressClientsCanReach) {
  EXPECT_EQ(DefaultIssuer(false, "127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(DefaultIssuer(true, "tokend.example:443"),
            "https://tokend.example:443");
  EXPECT_EQ(DefaultIssuer(false, "[::1]:80"), "http://[::1]:80");
  // Wildcards are where a server listens, never where a client connects.
  EXPECT_EQ(DefaultIssuer(false, "0.0.0.0:8080"), "http://localhost:8080");
  EXPECT_EQ(DefaultIssuer(true, "[::]:8443"), "https://localhost:8443");
}

TEST(ResolveIssuerTest, StableAcrossRestartsUnlessTheOperatorChangesIt) {
  const std::string dir = testing::MakeTempDir("issuer");
  // First start: the default is recorded...
  EXPECT_EQ(*ResolveIssuer(dir, "", "http://127.0.0.1:40001"),
            "http://127.0.0.1:40001");
  // ...and kept when a restart on port 0 gets another port.
  EXPECT_EQ(*ResolveIssuer(dir, "", "http://127.0.0.1:40002"),
            "http://127.0.0.1:40001");
  // The operator's --issuer wins, and is kept from then on.
  EXPECT_EQ(*ResolveIssuer(dir, "https://tokens.example", "http://x:1"),
            "https://tokens.example");
  EXPECT_EQ(*ResolveIssuer(dir, "", "http://127.0.0.1:40003"),
            "https://tokens.example");
  std::ifstream in(dir + "/issuer");
  std::string recorded;
  std::getline(in, recorded);
  EXPECT_EQ(recorded, "https://tokens.example");
}

}  // namespace
}  // namespace tokend::server
