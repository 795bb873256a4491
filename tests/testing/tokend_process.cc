#include "tests/testing/tokend_process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tokend::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string MakeTempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* base = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base ? base : "/tmp", "/", name, "-", getpid(),
                                 "-", counter++);
  mkdir(dir.c_str(), 0700);
  return dir;
}

std::string Runfile(const std::string& path) {
  const char* dir = getenv("TEST_SRCDIR");
  return absl::StrCat(dir ? dir : ".", "/", path);
}

namespace {

// Forks and execs tokend with the standard flags plus `extra_args`, stderr
// appended to <data_dir>/tokend.log. The ready file is removed first.
absl::StatusOr<pid_t> Spawn(const std::string& data_dir,
                            const std::vector<std::string>& extra_args) {
  const std::string ready = data_dir + "/ready.json";
  unlink(ready.c_str());
  std::vector<std::string> args = {
      Runfile("tokend/server/tokend"),
      "--data_dir=" + data_dir,
      "--grpc_listen=127.0.0.1:0",
      "--http_listen=127.0.0.1:0",
      "--ready_file=" + ready,
      // Tests stop tokend often; the drain test sets its own (later flags
      // win).
      "--drain_delay=0s",
  };
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log = data_dir + "/tokend.log";
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "a", stderr);
    (void)f;
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The string member `name` of the one-line ready file ("" if absent).
std::string JsonMember(const std::string& content, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  size_t at = content.find(key);
  if (at == std::string::npos) return "";
  size_t start = at + key.size();
  size_t end = content.find('"', start);
  if (end == std::string::npos) return "";
  return content.substr(start, end - start);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<TokendProcess> TokendProcess::Start(
    const std::string& data_dir, std::vector<std::string> extra_args) {
  const std::string ready = data_dir + "/ready.json";
  const std::string log = data_dir + "/tokend.log";
  absl::StatusOr<pid_t> spawned = Spawn(data_dir, extra_args);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::string content = ReadAll(ready);
    std::string grpc = JsonMember(content, "grpc");
    if (!grpc.empty()) {
      return TokendProcess(pid, data_dir, std::move(grpc),
                           JsonMember(content, "http"));
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::InternalError(
          absl::StrCat("tokend exited before ready: ", ReadAll(log)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return absl::DeadlineExceededError("tokend not ready within 30 s");
}

absl::StatusOr<TokendProcess::Exited> TokendProcess::RunUntilExit(
    const std::string& data_dir, std::vector<std::string> extra_args,
    absl::Duration timeout) {
  const std::string ready = data_dir + "/ready.json";
  const std::string log = data_dir + "/tokend.log";
  absl::StatusOr<pid_t> spawned = Spawn(data_dir, extra_args);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      Exited exited;
      exited.exit_code = ExitCode(status);
      exited.log = ReadAll(log);
      exited.ready = !ReadAll(ready).empty();
      return exited;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return absl::DeadlineExceededError(absl::StrCat("tokend still running after ",
                                                  absl::FormatDuration(timeout),
                                                  ": ", ReadAll(log)));
}

TokendProcess::TokendProcess(TokendProcess&& other) noexcept
    : pid_(other.pid_),
      data_dir_(std::move(other.data_dir_)),
      grpc_address_(std::move(other.grpc_address_)),
      http_address_(std::move(other.http_address_)) {
  other.pid_ = -1;
}

TokendProcess::~TokendProcess() {
  if (pid_ > 0) Kill();
}

std::string TokendProcess::Log() const {
  return ReadAll(data_dir_ + "/tokend.log");
}

std::string TokendProcess::AdminKey() const {
  return std::string(
      absl::StripAsciiWhitespace(ReadAll(data_dir_ + "/admin.key")));
}

int TokendProcess::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return ExitCode(status);
}

int TokendProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Wait();
}

void TokendProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Wait();
}

}  // namespace tokend::testing
