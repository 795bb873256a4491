#include "core/auth/secret_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::auth {
namespace {

using ::testing::HasSubstr;

// A fresh empty directory per test.
std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  static std::atomic<int> counter{0};
  std::string dir =
      absl::StrCat(base != nullptr ? base : "/tmp", "/secret_file_test-",
                   getpid(), "-", ++counter);
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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& data, int mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// A generator that counts its calls and returns a fixed secret.
struct CountingGenerator {
  std::string secret;
  std::atomic<int> calls{0};

  std::function<absl::StatusOr<std::string>()> Fn() {
    return [this]() -> absl::StatusOr<std::string> {
      ++calls;
      return secret;
    };
  }
};

TEST(SecretFileTest, CreatesOwnerOnlyFileWithTheGeneratedSecret) {
  const std::string dir = TempDir();
  const std::string path = dir + "/admin.key";
  CountingGenerator gen{"tka_first-secret"};

  const mode_t old_umask = umask(0);  // The mode must not come from the umask.
  absl::StatusOr<std::string> secret = LoadOrCreateSecretFile(path, gen.Fn());
  umask(old_umask);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "tka_first-secret");
  EXPECT_EQ(gen.calls, 1);

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600);
  EXPECT_EQ(st.st_uid, getuid());
  // The file holds the secret (a trailing newline is allowed) and nothing
  // else is left in the directory.
  const std::string content = ReadAll(path);
  EXPECT_TRUE(content == "tka_first-secret" || content == "tka_first-secret\n")
      << "'" << content << "'";
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"admin.key"});
}

TEST(SecretFileTest, SecondCallReadsTheFileWithoutGenerating) {
  const std::string path = TempDir() + "/admin.key";
  CountingGenerator first{"tka_keep-me"};
  ASSERT_TRUE(LoadOrCreateSecretFile(path, first.Fn()).ok());

  CountingGenerator second{"tka_must-not-be-used"};
  absl::StatusOr<std::string> again = LoadOrCreateSecretFile(path, second.Fn());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, "tka_keep-me");
  EXPECT_EQ(second.calls, 0);
  EXPECT_EQ(first.calls, 1);
}

TEST(SecretFileTest, ExistingFileIsTrimmed) {
  const std::string path = TempDir() + "/admin.key";
  WriteFile(path, "  \ttka_given-by-operator \r\n\n", 0600);
  CountingGenerator gen{"unused"};
  absl::StatusOr<std::string> secret = LoadOrCreateSecretFile(path, gen.Fn());
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "tka_given-by-operator");
  EXPECT_EQ(gen.calls, 0);
}

TEST(SecretFileTest, RefusesFilesOthersCanRead) {
  for (int mode : {0644, 0640, 0604, 0660, 0606, 0602, 0620}) {
    SCOPED_TRACE(absl::StrCat("mode 0", absl::Dec(mode, absl::kZeroPad3)));
    const std::string path = TempDir() + "/admin.key";
    WriteFile(path, "tka_world-readable\n", mode);
    CountingGenerator gen{"unused"};
    absl::StatusOr<std::string> secret = LoadOrCreateSecretFile(path, gen.Fn());
    EXPECT_EQ(secret.status().code(), absl::StatusCode::kPermissionDenied)
        << secret.status();
    // The message says what to do, and never echoes the secret.
    EXPECT_THAT(secret.status().message(), HasSubstr(path));
    EXPECT_THAT(std::string(secret.status().message()),
                ::testing::Not(HasSubstr("world-readable")));
    EXPECT_EQ(gen.calls, 0);
    // Refusing does not repair or replace the file.
    EXPECT_EQ(ReadAll(path), "tka_world-readable\n");
  }
}

TEST(SecretFileTest, OwnerOnlyModesAreAccepted) {
  for (int mode : {0600, 0400}) {
    const std::string path = TempDir() + "/admin.key";
    WriteFile(path, "tka_ok\n", mode);
    CountingGenerator gen{"unused"};
    absl::StatusOr<std::string> secret = LoadOrCreateSecretFile(path, gen.Fn());
    ASSERT_TRUE(secret.ok()) << secret.status();
    EXPECT_EQ(*secret, "tka_ok");
  }
}

TEST(SecretFileTest, RefusesEmptyWhitespaceAndOversizedFiles) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"whitespace", " \n\t\n"},
      {"oversized", std::string(64 * 1024, 'a')},
  };
  for (const auto& [label, content] : cases) {
    SCOPED_TRACE(label);
    const std::string path = TempDir() + "/admin.key";
    WriteFile(path, content, 0600);
    CountingGenerator gen{"tka_replacement"};
    absl::StatusOr<std::string> secret = LoadOrCreateSecretFile(path, gen.Fn());
    EXPECT_FALSE(secret.ok()) << *secret;
    EXPECT_THAT(secret.status().message(), HasSubstr(path));
    // A damaged credential is reported, never silently regenerated.
    EXPECT_EQ(gen.calls, 0);
    EXPECT_EQ(ReadAll(path), content);
  }
}

TEST(SecretFileTest, GeneratorErrorPropagatesAndLeavesNoFile) {
  const std::string dir = TempDir();
  const std::string path = dir + "/admin.key";
  int calls = 0;
  absl::StatusOr<std::string> secret =
      LoadOrCreateSecretFile(path, [&]() -> absl::StatusOr<std::string> {
        ++calls;
        return absl::ResourceExhaustedError("no entropy today");
      });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(secret.status().message(), HasSubstr("no entropy today"));
  EXPECT_TRUE(ListDir(dir).empty());

  // The next start succeeds normally.
  CountingGenerator gen{"tka_later"};
  absl::StatusOr<std::string> later = LoadOrCreateSecretFile(path, gen.Fn());
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(*later, "tka_later");
}

TEST(SecretFileTest, MissingDirectoryIsAnError) {
  CountingGenerator gen{"tka_x"};
  absl::StatusOr<std::string> secret =
      LoadOrCreateSecretFile(TempDir() + "/no/such/dir/admin.key", gen.Fn());
  EXPECT_FALSE(secret.ok());
}

// Many rounds of N threads racing on a fresh path: every thread must get the
// same secret, and it must be the one in the file.
TEST(SecretFileTest, ConcurrentFirstUseFromThreadsAgrees) {
  constexpr int kRounds = 200;
  constexpr int kThreads = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string dir = TempDir();
    const std::string path = dir + "/admin.key";
    std::vector<absl::StatusOr<std::string>> results(kThreads);
    std::atomic<int> waiting{kThreads};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        --waiting;
        while (waiting.load() > 0) {
        }
        results[i] =
            LoadOrCreateSecretFile(path, [i]() -> absl::StatusOr<std::string> {
              return absl::StrCat("tka_thread-", i);
            });
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(results[i].ok()) << "round " << round << " thread " << i
                                   << ": " << results[i].status();
      ASSERT_EQ(*results[i], *results[0]) << "round " << round;
    }
    ASSERT_EQ(absl::StripTrailingAsciiWhitespace(ReadAll(path)), *results[0])
        << "round " << round;
    ASSERT_EQ(ListDir(dir), std::vector<std::string>{"admin.key"});
  }
}

// Two processes starting on one data dir at once (two tokend instances).
TEST(SecretFileTest, ConcurrentFirstUseFromProcessesAgrees) {
  constexpr int kRounds = 50;
  constexpr int kProcs = 3;
  for (int round = 0; round < kRounds; ++round) {
    const std::string dir = TempDir();
    const std::string path = dir + "/admin.key";
    std::vector<pid_t> pids;
    std::vector<int> read_ends;
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    for (int i = 0; i < kProcs; ++i) {
      int out[2];
      ASSERT_EQ(pipe(out), 0);
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(out[0]);
        close(go[1]);
        char c;
        (void)!read(go[0], &c, 1);  // Start together.
        auto secret =
            LoadOrCreateSecretFile(path, [i]() -> absl::StatusOr<std::string> {
              return absl::StrCat("tka_process-", i);
            });
        std::string line =
            secret.ok() ? "OK " + *secret : "ERR " + secret.status().ToString();
        (void)!write(out[1], line.data(), line.size());
        _exit(0);
      }
      close(out[1]);
      pids.push_back(pid);
      read_ends.push_back(out[0]);
    }
    close(go[0]);
    close(go[1]);  // EOF releases every child at once.
    std::vector<std::string> lines;
    for (int i = 0; i < kProcs; ++i) {
      std::string line;
      char buf[256];
      ssize_t n;
      while ((n = read(read_ends[i], buf, sizeof buf)) > 0) line.append(buf, n);
      close(read_ends[i]);
      int status = 0;
      waitpid(pids[i], &status, 0);
      lines.push_back(line);
    }
    for (int i = 0; i < kProcs; ++i) {
      ASSERT_EQ(lines[i].rfind("OK tka_process-", 0), 0u)
          << "round " << round << ": " << lines[i];
      ASSERT_EQ(lines[i], lines[0]) << "round " << round;
    }
    ASSERT_EQ(
        absl::StrCat("OK ", absl::StripTrailingAsciiWhitespace(ReadAll(path))),
        lines[0]);
    ASSERT_EQ(ListDir(dir), std::vector<std::string>{"admin.key"});
  }
}

}  // namespace
}  // namespace tokend::auth
