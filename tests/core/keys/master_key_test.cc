#include "core/keys/master_key.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::keys {
namespace {

using ::testing::HasSubstr;

// A fresh empty directory per test.
std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp",
                                 "/master_key_test-", getpid(), "-", ++counter);
  EXPECT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  return dir;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

void WriteFile(const std::string& path, const std::string& data, int mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(MasterKeyTest, CreatesA32ByteOwnerOnlyFileOnce) {
  const std::string dir = TempDir();
  const std::string path = dir + "/master.key";
  const mode_t old_umask = umask(0);  // Must not widen the mode.
  absl::StatusOr<std::string> key = LoadOrCreateMasterKey(path);
  umask(old_umask);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), kMasterKeySize);
  EXPECT_NE(*key, std::string(kMasterKeySize, '\0'));

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kMasterKeySize));
  // No temporary file left behind.
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"master.key"});

  absl::StatusOr<std::string> again = LoadOrCreateMasterKey(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *key);
  absl::StatusOr<std::string> loaded = LoadMasterKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, *key);
}

TEST(MasterKeyTest, DifferentFilesGetDifferentKeys) {
  const std::string dir = TempDir();
  absl::StatusOr<std::string> a = LoadOrCreateMasterKey(dir + "/a.key");
  absl::StatusOr<std::string> b = LoadOrCreateMasterKey(dir + "/b.key");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(MasterKeyTest, LoadDoesNotCreate) {
  const std::string dir = TempDir();
  EXPECT_EQ(LoadMasterKey(dir + "/missing.key").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(MasterKeyTest, RefusesGroupOrOtherPermissions) {
  const std::string dir = TempDir();
  for (int mode : {0640, 0604, 0660, 0644, 0610}) {
    const std::string path = absl::StrCat(dir, "/key-", mode);
    WriteFile(path, std::string(kMasterKeySize, 'k'), mode);
    absl::StatusOr<std::string> key = LoadOrCreateMasterKey(path);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition)
        << mode;
    EXPECT_THAT(key.status().message(), HasSubstr("chmod 600"));
    // Refused, not repaired.
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, static_cast<mode_t>(mode));
  }
  const std::string ok_path = dir + "/owner-only";
  WriteFile(ok_path, std::string(kMasterKeySize, 'k'), 0400);
  absl::StatusOr<std::string> key = LoadOrCreateMasterKey(ok_path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, std::string(kMasterKeySize, 'k'));
}

TEST(MasterKeyTest, RefusesWrongSize) {
  const std::string dir = TempDir();
  for (size_t size :
       {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    const std::string path = absl::StrCat(dir, "/key-", size);
    WriteFile(path, std::string(size, 'k'), 0600);
    absl::StatusOr<std::string> key = LoadOrCreateMasterKey(path);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition)
        << size;
    EXPECT_THAT(key.status().message(), HasSubstr("bytes"));
  }
}

TEST(MasterKeyTest, RefusesADirectory) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0700), 0);
  EXPECT_EQ(LoadOrCreateMasterKey(dir + "/sub").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MasterKeyTest, MissingDirectoryIsAnError) {
  EXPECT_FALSE(LoadOrCreateMasterKey("/nonexistent/dir/master.key").ok());
}

TEST(MasterKeyTest, ConcurrentCreatorsAgree) {
  const std::string dir = TempDir();
  const std::string path = dir + "/master.key";
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<std::string>> keys(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { keys[i] = LoadOrCreateMasterKey(path); });
  }
  for (auto& t : threads) t.join();
  for (const auto& key : keys) {
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(*key, *keys[0]);
  }
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"master.key"});
}

}  // namespace
}  // namespace tokend::keys
